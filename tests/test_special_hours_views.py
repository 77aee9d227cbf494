"""Special hours on the dashboard: the drill-down's special dates (table, shading, labels),
the Fleet count of stores with special hours today, and the Data page's quality rows. The
engine places the rows by the business-time rules; the views only word and split them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from loop_core import loadlog
from loop_core.report import compute_report
from loop_core.special import special_today
from loop_core.timeline import store_timeline
from tests.conftest import Loader
from ui import charts
from ui.views import data as data_view
from ui.views.store import CLOSED_SPECIAL, store_view

NOW = datetime(2024, 12, 27, 17, tzinfo=UTC)  # Friday 12:00 in New York (EST)
HOURS = [f"ny,{day},09:00:00,17:00:00" for day in range(7)]
SPECIAL = [
    "ny,2024-12-25,,",  # Christmas: closed
    "ny,2024-12-26,10:00:00,14:00:00",  # shortened
    "ny,2024-12-31,18:00:00,03:00:00",  # New Year's Eve, overnight, ahead of the range
    "ny,2025-01-20,,",  # more than 14 days ahead: not listed
]


def _load(load: Loader) -> object:
    return load(
        polls=["ny,active,2024-12-24 15:00:00 UTC", f"ny,active,{NOW:%Y-%m-%d %H:%M:%S} UTC"],
        hours=HOURS,
        zones=["ny,America/New_York"],
        special=SPECIAL,
    )


def test_the_hours_table_lists_the_special_dates_of_the_range_and_the_next_14_days(
    load: Loader,
) -> None:
    con = _load(load)
    view = store_view(store_timeline(con, "ny"))  # type: ignore[arg-type]
    assert view.special.to_dict("records") == [
        {"date": "Wed 2024-12-25", "local": CLOSED_SPECIAL, "utc": "—", "when": "in range"},
        {"date": "Thu 2024-12-26", "local": "special hours 10:00–14:00",
         "utc": "Thu 15:00–19:00", "when": "in range"},
        {"date": "Tue 2024-12-31", "local": "special hours 18:00–03:00 (+1 d)",
         "utc": "Tue 23:00–Wed 08:00", "when": "next 14 days"},
    ]


def test_the_timeline_shades_special_days_apart_and_labels_them(load: Loader) -> None:
    con = _load(load)
    view = store_view(store_timeline(con, "ny"))  # type: ignore[arg-type]

    days = view.special_days
    assert days[["local_date", "label", "closed"]].to_dict("records") == [
        {"local_date": date(2024, 12, 25), "label": CLOSED_SPECIAL, "closed": True},
        {"local_date": date(2024, 12, 26), "label": "special hours 10:00–14:00",
         "closed": False},
    ]
    # The whole local day, in UTC: New York midnight is 05:00 UTC.
    assert days["day_start_utc"].tolist() == [pd.Timestamp("2024-12-25 05:00", tz="UTC"),
                                              pd.Timestamp("2024-12-26 05:00", tz="UTC")]
    # Business time split: the 26th's special hours are marked, the weekly days are not.
    special = view.business[view.business["special"]]
    assert list(zip(special["start_utc"], special["end_utc"], strict=True)) == [
        (pd.Timestamp("2024-12-26 15:00", tz="UTC"), pd.Timestamp("2024-12-26 19:00", tz="UTC"))]
    regular = view.business[~view.business["special"]]
    assert pd.Timestamp("2024-12-24 14:00", tz="UTC") in set(regular["start_utc"])

    chart = charts.store_timeline(view, local=True)
    layers = {layer.name: layer for layer in chart.layer}
    assert list(layers["special dates"].data["label"]) == [
        CLOSED_SPECIAL, "special hours 10:00–14:00"]
    assert "Special dates" in layers["spans"].to_dict()["encoding"]["y"]["sort"]
    kinds = list(layers["shading"].data["kind"])
    assert kinds.count("Closed (special)") == 1 and kinds.count("Special day") == 1
    assert kinds.count("Special hours") == 1
    colour = layers["shading"].to_dict()["encoding"]["color"]
    assert colour["legend"]["values"][:3] == ["Business hours", "Special hours",
                                              "Closed (special)"]
    # Each kind takes its colour: the closed day grey, special hours amber.
    scale = dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
    assert (scale["Closed (special)"], scale["Special day"], scale["Special hours"]) == (
        charts.CLOSED_DAY, charts.SPECIAL_DAY, charts.SPECIAL)


def test_a_store_without_special_dates_has_an_empty_table_and_plain_shading(
    load: Loader,
) -> None:
    con = load(polls=["s,active,2024-12-24 15:00:00 UTC"], hours=["s,1,09:00:00,17:00:00"])
    view = store_view(store_timeline(con, "s"))
    assert view.special.empty and view.special_days.empty
    assert not view.business["special"].any()
    chart = charts.store_timeline(view, local=False)
    layers = {layer.name: layer for layer in chart.layer}
    assert "special dates" not in layers
    assert set(layers["shading"].data["kind"]) == {"Business hours"}
    assert "Special dates" not in layers["spans"].to_dict()["encoding"]["y"]["sort"]


def test_fleet_counts_the_stores_closed_or_on_special_hours_on_their_own_local_date(
    load: Loader,
) -> None:
    con = load(
        polls=[f"{s},active,2024-12-25 03:00:00 UTC" for s in ("ny", "tokyo", "plain")],
        zones=["ny,America/New_York", "tokyo,Asia/Tokyo", "plain,UTC"],
        special=["ny,2024-12-24,10:00:00,14:00:00", "tokyo,2024-12-25,,",
                 "ghost,2024-12-25,,"],  # never polled: not in the fleet
    )
    # 03:00 UTC on the 25th is still the 24th in New York and already the 25th in Tokyo.
    today = special_today(con, "2024-12-25T03:00:00Z")
    assert (today.closed, today.special_hours, today.stores) == (1, 1, 2)
    assert special_today(con, "2024-12-26T12:00:00Z").stores == 0


def test_data_quality_lists_special_rows_for_unknown_stores_and_far_off_dates(
    load: Loader,
) -> None:
    con = load(
        polls=["s,active,2024-12-24 15:00:00 UTC"],
        hours=["h,1,09:00:00,17:00:00"],  # known from its hours alone
        special=["s,2024-12-25,,", "s,2026-12-25,,", "s,2021-01-01,,", "h,2024-12-25,,",
                 "typo,2024-12-31,,", "typo,2024-12-25,,"],
    )
    findings = loadlog.quality_findings(con)
    quality = data_view.data_quality(findings, compute_report(con))
    assert quality.special_unknown_stores.to_dict("records") == [
        {"store_id": "typo", "detail": "special hours on 2024-12-25, 2024-12-31 for an id with "
                                       "no poll, hours or timezone row: a typo, or a store not "
                                       "polled yet"}]
    assert quality.special_far_dates.to_dict("records") == [
        {"store_id": "s", "detail": "special date(s) 2021-01-01, 2026-12-25 more than a year "
                                    "from the latest poll: check the year"}]
