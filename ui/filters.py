"""The region/brand/timezone filter widgets, one helper for every page that filters stores
(Reports preview, Fleet, Now, Incidents): what it returns goes to the ``ui.caches`` call,
so the filter reaches every figure, list and chart of the page."""

from __future__ import annotations

import streamlit as st

from ui import caches
from ui.views.groups import FILTER_KEYS, FILTER_LABELS, StoreFilter, value_label


def store_filter(key: str) -> StoreFilter:
    """Three multiselects in one row (``{key}_region``, ``{key}_brand``, ``{key}_timezone``)
    and, while they narrow the stores, how many they keep; a key without a choice keeps
    every store. Values are shown as text, never markdown."""
    options = caches.store_filter_options()
    picked: dict[str, tuple[str, ...]] = {}
    for col, name in zip(st.columns(len(FILTER_KEYS)), FILTER_KEYS, strict=True):
        picked[name] = tuple(col.multiselect(
            FILTER_LABELS[name], options[name], key=f"{key}_{name}", placeholder="All",
            format_func=value_label,
            help=f"Only the stores of the chosen {FILTER_LABELS[name].lower()}s "
                 "(from the stores feed; timezone: the zone the rules use)."))
    chosen = StoreFilter(**picked)
    if chosen.active:
        # Counts only: the chosen values come from the data and a caption is markdown.
        shown, total = caches.filtered_store_count(chosen)
        st.caption(f"Filtered to {shown:,} of {total:,} stores: every figure, list and chart "
                   "below counts only these stores.")
    return chosen
