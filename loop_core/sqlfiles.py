"""Loads the SQL files kept in ``loop_core/sql``; the only place that reads them."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_sql(name: str) -> str:
    """Return the text of ``loop_core/sql/<name>.sql`` (``name`` may contain a subfolder)."""
    return resources.files("loop_core").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def quote_identifier(name: str) -> str:
    """Quote an identifier for DuckDB; values are always bound with ``?`` instead."""
    return '"' + name.replace('"', '""') + '"'
