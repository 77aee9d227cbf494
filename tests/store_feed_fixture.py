"""A tiny stores feed for the sample's stores: regions, brands, rates and targets, so that
the group filters and the rollup have groups of known members to check against."""

from __future__ import annotations

from pathlib import Path

import duckdb

from loop_core.ingest import ingest_each
from loop_core.models import Feed

REGIONS = ("North", "South", "")  # '' = the feed says nothing: its own group
BRANDS = ("Pizza", "Burgers")


def attributes(index: int) -> tuple[str, str, str, str]:
    """(region, brand, hourly_revenue, uptime_target) of the sample's ``index``-th store:
    every third without a region, every fourth without a rate, every fifth on 95 %."""
    region = REGIONS[index % 3]
    brand = BRANDS[index % 2]
    rate = "" if index % 4 == 3 else f"{50 + index % 7 * 10}"
    target = "95" if index % 5 == 0 else ""
    return region, brand, rate, target


def load_stores_feed(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, str]:
    """Load the feed for every store of ``con`` (by id order); return id -> region. Names
    carry markdown and commas: they must reach the page as the very text of the file."""
    ids = [str(r[0]) for r in con.execute("SELECT store_id FROM stores ORDER BY store_id")
           .fetchall()]
    lines = ["store_id,name,region,brand,hourly_revenue,uptime_target"]
    regions: dict[str, str] = {}
    for i, store_id in enumerate(ids):
        region, brand, rate, target = attributes(i)
        lines.append(f'{store_id},"**Shop {i}**, {brand}",{region},{brand},{rate},{target}')
        regions[store_id] = region
    path = folder / "stores.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # replace_sample=False: the sample's polls stay, the feed describes its stores.
    (outcome,) = ingest_each(con, [(Feed.STORES, path)], replace_sample=False)
    assert not isinstance(outcome, Exception) and outcome.rows_loaded == len(ids)
    return regions
