"""`date_problem`: which texts are dates, and why the others are not."""

from __future__ import annotations

import pytest

from engine.expr.calendar import date_problem


@pytest.mark.parametrize("text", ["2026-03-01", "2024-02-29", "0001-01-01", "9999-12-31"])
def test_real_dates_have_no_problem(text: str) -> None:
    assert date_problem(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-02-30", "'2026-02-30' is not a real date: February 2026 has 28 days"),
        ("2023-02-29", "'2023-02-29' is not a real date: February 2023 has 28 days"),
        ("2026-04-31", "'2026-04-31' is not a real date: April 2026 has 30 days"),
        ("2026-00-10", "'2026-00-10' is not a real date: there is no month 0"),
        ("2026-13-01", "'2026-13-01' is not a real date: there is no month 13"),
        ("0000-01-01", "'0000-01-01' is not a real date: there is no year 0"),
        ("2026/03/01", "'2026/03/01' is not a date (write it as 'YYYY-MM-DD')"),
        ("2026-3-1", "'2026-3-1' is not a date (write it as 'YYYY-MM-DD')"),
    ],
)
def test_other_texts_say_why(text: str, problem: str) -> None:
    assert date_problem(text) == problem
