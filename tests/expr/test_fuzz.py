"""Arbitrary text never crashes the checker: it always yields a result or problems."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.expr import CheckedExpr

Check = Callable[..., CheckedExpr]
TOKENS = st.sampled_from(
    [
        "amount", "stage", "owner", ".", "manager", "lines", "price", "(", ")", "[", "]", ",",
        " and ", " or ", "not ", " in ", " is ", "None", "null", "==", "<", "+", "-", "*", "/",
        "%", "'x'", "'2024-01-31'", "1", "2.5", "today()", "round", "sum", "count", "if",
        "else", "lambda", ":", "=", "#", "__class__", "\n", "张", '"', "\\", "close_date",
        "created_at", "coalesce", "date", "x.lower()", "**",
    ]
)  # fmt: skip


def assert_well_formed(check: Check, text: str) -> None:
    checked = check(text)
    assert checked.ok or checked.problems
    for problem in checked.problems:
        assert problem.code.startswith("X1") and len(problem.code) == 4
        assert 0 <= problem.offset <= problem.end <= max(len(text), 1)
        assert problem.message


@settings(max_examples=300)
@given(st.text(max_size=60))
@example("")
@example("(" * 1000)
@example("not " * 500 + "x")
def test_arbitrary_text_never_crashes(check: Check, text: str) -> None:
    assert_well_formed(check, text)


@settings(max_examples=400)
@given(st.lists(TOKENS, max_size=25).map("".join))
def test_token_soup_never_crashes(check: Check, text: str) -> None:
    assert_well_formed(check, text)
