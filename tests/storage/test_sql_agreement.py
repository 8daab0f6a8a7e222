"""Property: for random well-typed expressions and random rows (NULLs included), the Python
closure and the SQL clause agree — as a SELECT value and as a WHERE filter.

Numbers are dyadic (k/4), so sums and products are exact in SQLite's floats too; quotients
and rounded values are compared directly but never fed into further arithmetic, where
float error would accumulate. Integers stay far from 64-bit limits.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

Strategy = st.SearchStrategy[str]

TEXT_ALPHABET = "aAbBzZ é中_"
INT_OPS = ["+", "-"]
COMPARE_OPS = ["==", "!=", "<", "<=", ">", ">="]
PERIODS = ["week", "month", "quarter", "year"]


def _call(name: str, *args: Strategy) -> Strategy:
    return st.tuples(*args).map(lambda parts: f"{name}({', '.join(parts)})")


def _binary(left: Strategy, ops: list[str], right: Strategy) -> Strategy:
    return st.tuples(left, st.sampled_from(ops), right).map(lambda p: f"({p[0]} {p[1]} {p[2]})")


def _text_literal() -> Strategy:
    return st.text(TEXT_ALPHABET, max_size=3).map(lambda s: f"'{s}'")


def _date_literal() -> Strategy:
    days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
    return days.map(lambda d: f"'{d.isoformat()}'")


def _number_literal() -> Strategy:
    return st.integers(-80, 80).map(lambda k: str(Decimal(k) / 4))


@cache
def integer(depth: int) -> Strategy:
    base = st.one_of(st.sampled_from(["i", "j"]), st.integers(-20, 20).map(lambda n: f"({n})"))
    if depth == 0:
        return base
    sub, date_ = integer(depth - 1), day(depth - 1)
    return st.one_of(
        base,
        _binary(sub, INT_OPS, sub),
        _binary(integer(0), ["*"], integer(0)),
        _binary(sub, ["%"], sub),
        sub.map(lambda x: f"(-{x})"),
        _call("len", text(depth - 1)),
        *(_call(name, date_) for name in ("year", "month", "day", "quarter")),
        _call("days_between", date_, date_),
        *(_call(name, sub, sub) for name in ("coalesce", "min", "max")),
        _call("abs", sub),
        _call("round", number(depth - 1)),
        st.tuples(sub, boolean(depth - 1), sub).map(lambda p: f"({p[0]} if {p[1]} else {p[2]})"),
    )


@cache
def number(depth: int) -> Strategy:
    """Numbers without division or rounding: exact in binary floating point."""
    base = st.one_of(st.sampled_from(["n", "m"]), _number_literal(), integer(0))
    if depth == 0:
        return base
    sub = number(depth - 1)
    return st.one_of(
        base,
        _binary(sub, ["+", "-"], sub),
        _binary(number(0), ["*"], number(0)),
        sub.map(lambda x: f"(-{x})"),
        _call("abs", sub),
        *(_call(name, sub, sub) for name in ("coalesce", "min", "max")),
    )


@cache
def final_number(depth: int) -> Strategy:
    """Numbers that may be inexact in SQLite: compared or selected, never computed with."""
    sub = number(max(depth - 1, 0))
    places = st.integers(0, 2).map(str)
    return st.one_of(
        number(depth),
        _binary(sub, ["/"], sub),
        _call("round", sub, places),
    )


@cache
def text(depth: int) -> Strategy:
    base = st.one_of(
        st.sampled_from(["s", "t", "customer.name", "customer.level"]), _text_literal()
    )
    if depth == 0:
        return base
    sub = text(depth - 1)
    return st.one_of(
        base,
        _binary(sub, ["+"], sub),
        *(_call(name, sub) for name in ("lower", "upper", "trim")),
        *(_call(name, sub, sub) for name in ("concat", "coalesce", "min", "max")),
        st.tuples(sub, boolean(depth - 1), sub).map(lambda p: f"({p[0]} if {p[1]} else {p[2]})"),
    )


@cache
def day(depth: int) -> Strategy:
    base = st.sampled_from(["d", "e", "today()", "date(ts)"])
    if depth == 0:
        return base
    sub = day(depth - 1)
    small = st.one_of(st.sampled_from(["i", "j"]), st.integers(-40, 40).map(str))
    moment = st.one_of(sub, st.just("ts"))
    return st.one_of(
        base,
        _call("add_days", sub, small),
        _call("add_months", sub, small),
        *(_call(f"{edge}_of_{p}", moment) for edge in ("start", "end") for p in PERIODS),
        *(_call(name, sub, sub) for name in ("coalesce", "min", "max")),
    )


def _comparisons(depth: int) -> list[Strategy]:
    ops = st.sampled_from(COMPARE_OPS)

    def compare(left: Strategy, right: Strategy) -> Strategy:
        return st.tuples(left, ops, right).map(lambda p: f"{p[0]} {p[1]} {p[2]}")

    moments = st.one_of(st.sampled_from(["ts", "now()"]), day(depth), _date_literal())
    return [
        compare(final_number(depth), final_number(depth)),
        compare(integer(depth), integer(depth)),
        compare(text(depth), text(depth)),
        compare(day(depth), st.one_of(day(depth), _date_literal())),
        compare(st.just("ts"), moments),
        st.tuples(
            st.sampled_from(["b", "c"]),
            st.sampled_from(["==", "!="]),
            st.sampled_from(["b", "c", "true", "false"]),
        ).map(" ".join),
        st.tuples(integer(depth), integer(depth), integer(depth)).map(
            lambda p: f"{p[0]} < {p[1]} <= {p[2]}"
        ),
    ]


def _memberships(depth: int) -> list[Strategy]:
    ints = st.lists(st.one_of(st.integers(-5, 8).map(str), st.just("null")), max_size=3)
    texts = st.lists(st.one_of(_text_literal(), st.just("null")), max_size=3)
    negation = st.sampled_from(["in", "not in"])
    return [
        st.tuples(integer(depth), negation, ints).map(
            lambda p: f"{p[0]} {p[1]} [{', '.join(p[2])}]"
        ),
        st.tuples(text(depth), negation, texts).map(lambda p: f"{p[0]} {p[1]} [{', '.join(p[2])}]"),
    ]


@cache
def boolean(depth: int) -> Strategy:
    base = st.sampled_from(["b", "c", "true", "false", "null"])
    if depth == 0:
        return base
    sub = boolean(depth - 1)
    anything = st.one_of(integer(0), text(0), day(0), st.sampled_from(["b", "ts", "n"]))
    return st.one_of(
        base,
        *_comparisons(depth - 1),
        *_memberships(depth - 1),
        _binary(sub, ["and", "or"], sub),
        sub.map(lambda x: f"(not {x})"),
        st.tuples(anything, st.sampled_from(["is None", "is not None"])).map(" ".join),
        _call("contains", text(depth - 1), text(0)),
        _call("startswith", text(depth - 1), text(0)),
        _call("is_blank", st.one_of(text(depth - 1), integer(0))),
        _call("has_role", st.one_of(st.sampled_from(["'finance'", "'admin'"]), text(0))),
    )


EXPRESSIONS = st.one_of(boolean(3), integer(2), final_number(2), text(2), day(2), st.just("now()"))

ROW = st.fixed_dictionaries(
    {},
    optional={
        "s": st.text(TEXT_ALPHABET, max_size=4),
        "t": st.text(TEXT_ALPHABET, max_size=4),
        "i": st.integers(-20, 20),
        "j": st.integers(-20, 20),
        "n": st.integers(-80, 80).map(lambda k: Decimal(k) / 4),
        "m": st.integers(-80, 80).map(lambda k: Decimal(k) / 4),
        "b": st.booleans(),
        "c": st.booleans(),
        "d": st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
        "e": st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
        "ts": st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
        ),
        "customer_id": st.sampled_from([1, 2]),
    },
)
ROWS = st.lists(ROW, min_size=1, max_size=5).map(
    lambda rows: [{"id": index + 1, **row} for index, row in enumerate(rows)]
)
MIDNIGHT_ROWS = [
    {"id": 1, "ts": datetime(2024, 5, 16, 16, 0, tzinfo=UTC), "d": date(2024, 5, 17)},
    {"id": 2, "ts": datetime(2024, 5, 16, 15, 59, 59, 999999, tzinfo=UTC), "d": date(2024, 5, 16)},
]


@settings(
    max_examples=int(os.environ.get("FORMWORK_EXPR_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text_=EXPRESSIONS, rows=ROWS)
@example(text_="ts == today()", rows=MIDNIGHT_ROWS)
@example(text_="date(ts) == d", rows=MIDNIGHT_ROWS)
@example(text_="(i / j) == (j / i)", rows=[{"id": 1, "i": 3, "j": 3}, {"id": 2, "i": 1, "j": 0}])
@example(text_="(-7 % 3) + (7 % -3)", rows=[{"id": 1}])
def test_python_and_sql_agree(
    database: Any, agree: Any, text_: str, rows: list[dict[str, Any]]
) -> None:
    database.load(rows)
    agree(database, text_, rows)
