"""Display text shared by the pages: durations, and data shown as text, never as markup."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ui.formatting import code_span, format_lag, percent


@pytest.mark.parametrize(
    ("lag", "text"),
    [
        (timedelta(seconds=-5), "0 min"),
        (timedelta(minutes=45, seconds=59), "45 min"),
        (timedelta(hours=3, minutes=5), "3 h 05 min"),
        (timedelta(hours=47, minutes=59), "47 h 59 min"),
        (timedelta(days=2, hours=4, minutes=30), "2 d 4 h"),
    ],
)
def test_a_lag_reads_in_the_largest_sensible_units(lag: timedelta, text: str) -> None:
    assert format_lag(lag) == text


def test_a_percentage_without_business_time_is_a_dash() -> None:
    assert percent(None) == "—"
    assert percent(99.456) == "99.46 %"
    assert percent(99.456, digits=1) == "99.5 %"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("8139926242460185114", "`8139926242460185114`"),
        ("**bold** [x](http://evil) <b>", "`**bold** [x](http://evil) <b>`"),
        (":red[alarm] :material/home:", "`:red[alarm] :material/home:`"),
        ("a`b", "``a`b``"),
        ("``x", "``` ``x ```"),
        ("two\nlines", "`two lines`"),
    ],
)
def test_data_text_becomes_a_code_span_that_markdown_shows_verbatim(text: str, span: str) -> None:
    assert code_span(text) == span


def test_a_table_hides_its_name_column_only_when_no_store_has_a_name() -> None:
    import pandas as pd

    from ui.formatting import visible_columns

    nameless = pd.DataFrame({"store_id": ["1", "2"], "name": ["", ""], "down": [1.0, 2.0]})
    assert visible_columns(nameless) == ["store_id", "down"]
    assert visible_columns(nameless, ["down", "name", "store_id"]) == ["down", "store_id"]
    named = nameless.assign(name=["", "Austin"])
    assert visible_columns(named) == ["store_id", "name", "down"]
    # A frame without a name column keeps the order it is given.
    assert visible_columns(named.drop(columns="name"), ["down", "store_id"]) == [
        "down", "store_id"]
