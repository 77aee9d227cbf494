"""Store groups on the dashboard: the region/brand/timezone filter shared by the Reports
preview, Fleet, Now and Incidents, as plain values (the widgets are ``ui.filters``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd

FILTER_KEYS = ("region", "brand", "timezone")
FILTER_LABELS = {"region": "Region", "brand": "Brand", "timezone": "Timezone"}
NO_VALUE_LABEL = "(not given)"  # how a store the stores feed says nothing about is listed


@dataclass(frozen=True)
class StoreFilter:
    """The chosen values per key; an empty tuple keeps every store for that key."""

    region: tuple[str, ...] = ()
    brand: tuple[str, ...] = ()
    timezone: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether any key narrows the stores."""
        return any(self.chosen(key) for key in FILTER_KEYS)

    def chosen(self, key: str) -> tuple[str, ...]:
        """The values chosen for ``key`` ('' stands for "not given")."""
        values: tuple[str, ...] = getattr(self, key)
        return values

    def describe(self) -> str:
        """``region North, South · brand Pizza``: what narrows the stores ('' when nothing)."""
        return " · ".join(
            f"{FILTER_LABELS[key].lower()} {', '.join(value_label(v) for v in self.chosen(key))}"
            for key in FILTER_KEYS if self.chosen(key)
        )


def value_label(value: str) -> str:
    """A group value as the filter lists it: the value, or ``(not given)`` for ''."""
    return value or NO_VALUE_LABEL


def filter_options(groups: pd.DataFrame) -> dict[str, list[str]]:
    """Per key, the distinct values of ``stores.store_groups`` ('' included), sorted."""
    return {key: sorted(str(v) for v in groups[key].dropna().unique()) for key in FILTER_KEYS}


def matching_ids(groups: pd.DataFrame, chosen: StoreFilter) -> frozenset[str] | None:
    """The ids of the stores the filter keeps; None when it keeps every store."""
    if not chosen.active:
        return None
    keep = pd.Series(True, index=groups.index)
    for key in FILTER_KEYS:
        if chosen.chosen(key):
            keep &= groups[key].isin(list(chosen.chosen(key)))
    return frozenset(str(s) for s in groups.loc[keep, "store_id"])


def name_matches(store_ids: Collection[str], names: Mapping[str, str], text: str) -> set[str]:
    """The ids among ``store_ids`` whose id or name contains ``text`` (case-insensitive)."""
    needle = text.strip().lower()
    return {s for s in store_ids if needle in s.lower() or needle in names.get(s, "").lower()}
