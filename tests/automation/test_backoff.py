"""Backoff: 30 s after the first failure, doubling, capped at 6 h; a keyed ±10 % spread that
is the same every time for the same key and attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.automation.backoff import backoff_delay


def test_the_wait_doubles_from_the_base_up_to_the_cap() -> None:
    waits = [backoff_delay(n).total_seconds() for n in range(1, 12)]
    assert waits[:6] == [30, 60, 120, 240, 480, 960]
    assert waits[-1] == 6 * 3600
    assert backoff_delay(10_000) == timedelta(hours=6)  # no overflow


def test_base_factor_and_cap_can_be_chosen() -> None:
    delays = [backoff_delay(n, base=timedelta(seconds=1), factor=3, cap=timedelta(seconds=20))
              for n in (1, 2, 3, 4)]  # fmt: skip
    assert [d.total_seconds() for d in delays] == [1, 3, 9, 20]
    assert backoff_delay(5, factor=1) == timedelta(seconds=30)


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=10**9))
def test_a_keyed_wait_stays_within_ten_percent_and_under_the_cap(attempt: int, key: int) -> None:
    plain = backoff_delay(attempt).total_seconds()
    spread = backoff_delay(attempt, jitter_key=key).total_seconds()
    assert plain * 0.9 - 0.001 <= spread <= min(plain * 1.1, 6 * 3600) + 0.001
    assert backoff_delay(attempt, jitter_key=key) == backoff_delay(attempt, jitter_key=key)


def test_keys_spread_the_waits() -> None:
    waits = {backoff_delay(1, jitter_key=key) for key in range(50)}
    assert len(waits) > 40


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"attempt": 0}, "attempt must be 1 or more, not 0"),
        ({"attempt": 1, "base": timedelta(0)}, "base must be positive"),
        ({"attempt": 1, "factor": 0.5}, "factor must be 1 or more, not 0.5"),
        ({"attempt": 1, "cap": timedelta(seconds=1)}, "cap (0:00:01) must not be below base"),
    ],
)
def test_bad_arguments_say_what_is_wrong(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        backoff_delay(**arguments)  # type: ignore[arg-type]
