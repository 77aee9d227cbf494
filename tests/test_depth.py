"""The knob that deepens the property tests: CI's counts by default, refused when unusable."""

from __future__ import annotations

import pytest

from tests import depth


def test_without_the_setting_each_test_draws_its_ci_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LOOP_TEST_DEPTH", raising=False)
    assert depth._depth() == 1.0


@pytest.mark.parametrize("raw, expected", [("10", 10.0), ("0.5", 0.5)])
def test_a_depth_multiplies_every_count(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: float
) -> None:
    monkeypatch.setenv("LOOP_TEST_DEPTH", raw)
    assert depth._depth() == expected
    monkeypatch.setattr(depth, "DEPTH", expected)
    assert depth.examples(30) == round(30 * expected)
    monkeypatch.setattr(depth, "DEPTH", 0.001)
    assert depth.examples(30) == 1  # never zero examples: the test would pass untested


@pytest.mark.parametrize("raw", ["0", "-2", "deep", "nan"])
def test_a_depth_that_is_not_a_positive_number_is_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("LOOP_TEST_DEPTH", raw)
    with pytest.raises(ValueError, match="LOOP_TEST_DEPTH"):
        depth._depth()
