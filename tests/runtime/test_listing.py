"""Listing: row scopes in SQL, filters in the expression language, sorting with NULLs
last, and keyset pages with an opaque cursor (never OFFSET)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import act

from engine.errors import BadRequest, Forbidden
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.listing import SortKey, decode_cursor, encode_cursor


def titles(shop: Engine, actor: Actor, **options: Any) -> list[str]:
    return [r["title"] for r in shop.records.list(actor, "order", **options).records]


def every_page(shop: Engine, actor: Actor, limit: int, **options: Any) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        page = shop.records.list(actor, "order", limit=limit, cursor=cursor, **options)
        assert len(page.records) <= limit
        ids.extend(r.id for r in page.records)
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


@contextmanager
def offsets(shop: Engine) -> Iterator[list[Any]]:
    """The OFFSET values of the statements run inside the block (SQLite's dialect writes
    `LIMIT ? OFFSET ?` with 0; PostgreSQL's writes no OFFSET at all)."""
    seen: list[Any] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "OFFSET" in statement.upper():
            seen.append(parameters[-1] if isinstance(parameters, tuple) else parameters)

    sa.event.listen(shop.db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(shop.db.engine, "before_cursor_execute", note)


@pytest.fixture
def stocked(shop: Engine) -> Engine:
    """Orders of ann, bob (team Floor) and cy (team Depot)."""
    for username, title, quantity in [
        ("ann", "Apple", 5), ("ann", "Banana", None), ("bob", "Cherry", 5),
        ("bob", "Damson", 1), ("cy", "Elder", 9), ("ann", "Fig", 5), ("cy", "Grape", None),
    ]:  # fmt: skip
        shop.records.create(act(shop, username), "order", {"title": title, "quantity": quantity})
    return shop


def test_row_scopes_decide_what_is_listed(stocked: Engine) -> None:
    assert titles(stocked, act(stocked, "ann")) == ["Apple", "Banana", "Fig"]
    assert titles(stocked, act(stocked, "lead_ann")) == [
        "Apple",
        "Banana",
        "Cherry",
        "Damson",
        "Fig",
    ]
    assert len(titles(stocked, act(stocked, "audrey"))) == 7
    assert len(titles(stocked, act(stocked, "root"))) == 7
    stocked.people.create_user("nobody")
    with pytest.raises(Forbidden):
        stocked.records.list(stocked.actor("nobody"), "order")


def test_filters_are_expressions_run_in_sql(stocked: Engine) -> None:
    root = act(stocked, "root")
    assert titles(stocked, root, filter="quantity >= 5 and owner != 'cy'") == [
        "Apple",
        "Cherry",
        "Fig",
    ]
    assert titles(stocked, root, filter="quantity is None") == ["Banana", "Grape"]
    assert titles(stocked, root, filter="owner.team.name == 'Depot'") == ["Elder", "Grape"]
    assert titles(stocked, act(stocked, "ann"), filter="owner == me()") == [
        "Apple",
        "Banana",
        "Fig",
    ]


def test_broken_filters_are_bad_requests_with_expression_codes(stocked: Engine) -> None:
    root = act(stocked, "root")
    with pytest.raises(BadRequest) as unknown:
        stocked.records.list(root, "order", filter="titel == 'Apple'")
    assert str(unknown.value) == (
        "the filter has problems: X103 at 1:1: unknown field 'titel' in order "
        "(did you mean 'title'?)"
    )
    with pytest.raises(BadRequest, match="X107"):
        stocked.records.list(root, "order", filter="sum(lines.price) > 1")
    with pytest.raises(BadRequest, match="X101"):
        stocked.records.list(root, "order", filter="quantity = 5")


def test_fields_the_actor_cannot_read_cannot_be_filtered_or_sorted(shop: Engine) -> None:
    shop.records.create(act(shop, "cy"), "supplier", {"name": "Acme", "rating": 4})
    audrey = act(shop, "audrey")
    page = shop.records.list(audrey, "supplier")
    assert "rating" not in page.records[0].values and page.records[0]["name"] == "Acme"
    with pytest.raises(BadRequest, match="you may not filter by 'rating'"):
        shop.records.list(audrey, "supplier", filter="rating > 3")
    with pytest.raises(BadRequest, match="cannot sort by 'rating'"):
        shop.records.list(audrey, "supplier", sort=["-rating"])


def test_sorting_puts_nulls_last_and_breaks_ties_by_id(stocked: Engine) -> None:
    root = act(stocked, "root")
    assert titles(stocked, root, sort=["quantity"]) == [
        "Damson", "Apple", "Cherry", "Fig", "Elder", "Banana", "Grape"
    ]  # fmt: skip
    assert titles(stocked, root, sort=["-quantity", "-title"]) == [
        "Elder", "Fig", "Cherry", "Apple", "Damson", "Grape", "Banana"
    ]  # fmt: skip
    with pytest.raises(BadRequest, match="cannot sort by 'lines'"):
        stocked.records.list(root, "order", sort=["lines"])


@pytest.mark.parametrize(
    "sort", [(), ("quantity",), ("-quantity", "title"), ("-id",), ("owner", "-created_at")]
)
def test_keyset_pages_cover_every_row_once_in_order(stocked: Engine, sort: tuple[str, ...]) -> None:
    root = act(stocked, "root")
    expected = [r.id for r in stocked.records.list(root, "order", sort=sort, limit=100).records]
    assert len(expected) == 7
    for limit in (1, 2, 3):
        with offsets(stocked) as seen:
            assert every_page(stocked, root, limit, sort=sort) == expected
        assert set(seen) <= {0}


def test_cursors_are_checked(stocked: Engine) -> None:
    root = act(stocked, "root")
    page = stocked.records.list(root, "order", sort=["quantity"], limit=2)
    assert page.next_cursor is not None
    with pytest.raises(BadRequest, match="another sort"):
        stocked.records.list(root, "order", sort=["title"], cursor=page.next_cursor)
    with pytest.raises(BadRequest, match="not valid"):
        stocked.records.list(root, "order", cursor="%%%")
    with pytest.raises(BadRequest, match="limit must be between 1 and 500"):
        stocked.records.list(root, "order", limit=0)


def test_cursor_round_trip() -> None:
    keys = (SortKey("amount", True, "decimal"), SortKey("due", False, "date"))
    from datetime import date
    from decimal import Decimal

    cursor = encode_cursor(keys, [Decimal("12.30"), None], 41)
    assert decode_cursor(cursor, keys) == ([Decimal("12.30"), None], 41)
    with pytest.raises(BadRequest):
        decode_cursor(encode_cursor(keys, ["x", date(2026, 1, 1)], 1), keys)


def test_numbers_beyond_a_column_never_reach_the_database_as_overflows(stocked: Engine) -> None:
    root = act(stocked, "root")
    # Within 64 bits a number compares exactly, even with a 32-bit column (PostgreSQL's
    # `team`, links and ids are int4): nothing equals it, everything is below it.
    assert titles(stocked, root, filter="team == 9999999999") == []
    assert titles(stocked, root, filter="supplier == 9999999999") == []
    assert titles(stocked, root, filter="quantity > 9999999999 or id == 9999999999") == []
    assert len(titles(stocked, root, filter="id < 9999999999 and quantity > -9999999999")) == 5
    # Beyond 64 bits the expression language reads a decimal: still compared exactly.
    assert titles(stocked, root, filter="id == 99999999999999999999") == []
    assert titles(stocked, root, filter="quantity < -99999999999999999999") == []
    assert len(titles(stocked, root, filter="id < 99999999999999999999")) == 7


def test_forged_cursors_with_huge_numbers_are_refused(stocked: Engine) -> None:
    root = act(stocked, "root")
    keys = (SortKey("quantity", False, "integer"),)
    after_huge = encode_cursor(keys, [9999999999], 2**40)
    # Beyond every quantity come the rows without one (NULLs last).
    assert titles(stocked, root, sort=["quantity"], cursor=after_huge) == ["Banana", "Grape"]
    for values, last_id in (([2**70], 1), ([1], 2**70)):
        with pytest.raises(BadRequest, match="the cursor is not valid"):
            stocked.records.list(
                root, "order", sort=["quantity"], cursor=encode_cursor(keys, values, last_id)
            )
