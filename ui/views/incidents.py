"""The Incidents page: the fleet's incidents as a table, ongoing ones first."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd

from loop_core.incidents import Incident, incidents_csv
from ui.views.now import store_link

# The link beside the name, as on Now: the name column would push it out of view at 1280 px.
COLUMNS = ["store_id", "name", "link", "started_at", "ended_at", "ongoing", "downtime_min",
           "inactive_observations"]


@dataclass(frozen=True)
class IncidentsView:
    """The incidents of a range, for the table and the download."""

    table: pd.DataFrame  # COLUMNS, ongoing first, then the most downtime
    csv: str  # the engine's CSV (the same as python -m loop_core incidents)
    total_downtime_h: float
    ongoing: int


def incidents_view(found: list[Incident], names: Mapping[str, str] | None = None,
                   store_ids: Collection[str] | None = None) -> IncidentsView:
    """Shape the engine's incidents for the page, with the stores' ``names`` (id -> name
    from the stores feed; '' without one); ``store_ids`` (the page's group filter) keeps
    only those stores' incidents, in the table, the figures and the CSV alike."""
    names = names or {}
    if store_ids is not None:
        kept = set(store_ids)
        found = [i for i in found if i.store_id in kept]
    table = pd.DataFrame(
        [
            {
                "store_id": i.store_id,
                "name": names.get(i.store_id, ""),
                "started_at": i.started_at,
                "ended_at": i.ended_at,
                "ongoing": i.ended_at is None,
                "downtime_min": i.downtime_minutes,
                "inactive_observations": i.inactive_observations,
                "link": store_link(i.store_id),
            }
            for i in found
        ],
        columns=COLUMNS,
    )
    table = table.sort_values(["ongoing", "downtime_min", "store_id"],
                              ascending=[False, False, True], ignore_index=True)
    return IncidentsView(
        table=table,
        csv=incidents_csv(found),
        total_downtime_h=round(sum(i.downtime_us for i in found) / 3_600_000_000, 2),
        ongoing=sum(1 for i in found if i.ended_at is None),
    )
