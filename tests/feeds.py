"""Feed files for tests: one way to write a CSV feed, and the shape of each snapshot feed
(a header, a row for store ``s<i>``, and the table it lands in) so a rule every snapshot
follows is tested once over all of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loop_core.models import Feed
from tests.conftest import HOURS_HEADER, SPECIAL_HEADER, ZONES_HEADER


def write_feed(path: Path, header: str, *rows: str) -> Path:
    """``path`` holding ``header`` and ``rows``, one per line."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class SnapshotFeed:
    feed: Feed
    header: str
    row: str  # one row for store s{i}; {v} varies a value so a file can differ
    table: str

    def file(self, path: Path, stores: range, v: int = 1) -> Path:
        return write_feed(path, self.header, *(self.row.format(i=i, v=v) for i in stores))


SNAPSHOT_FEEDS = (
    SnapshotFeed(Feed.TIMEZONES, ZONES_HEADER,
                 "s{i},Etc/GMT+{v}", "timezones"),
    SnapshotFeed(Feed.BUSINESS_HOURS, HOURS_HEADER,
                 "s{i},{v},09:00:00,17:00:00", "business_hours"),
    SnapshotFeed(Feed.SPECIAL_HOURS, SPECIAL_HEADER, "s{i},2024-12-2{v},,", "special_hours"),
    SnapshotFeed(Feed.STORES, "store_id,name", "s{i},Store {i} v{v}", "store_attributes"),
)
