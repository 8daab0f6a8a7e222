"""What a create returns is what a fresh read gives (the row comes back from the INSERT,
not from a second SELECT), and `create_many_in` keeps every guarantee of `create_in`:
permission, defaults, formulas, validation, uniqueness (also among its own rows), sequence
numbers, child rows, attachments and history — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import act

from engine.errors import Forbidden, ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.history import HistoryKind
from engine.runtime.records import RowFailed, WriteOptions

EVERYTHING: dict[str, Any] = {
    "title": "Everything",
    "code": "AB-123",
    "email": "a@example.com",
    "site": "https://example.com",
    "phone": "+86 21 1234 5678",
    "kind": "wholesale",
    "reason": "bulk",
    "discount": "0.15",
    "tags": ["blue", "red"],
    "quantity": 7,
    "ratio": "0.25",
    "weight": "1.234",
    "amount": "25.50",
    "due": "2026-03-09",
    "at": "2026-03-02T10:30:00+08:00",
    "lines": [{"item": "a", "qty": 2, "price": "5.25"}, {"item": "b", "price": "15"}],
}


def created_history(engine: Engine, record_id: int) -> list[sa.Row[tuple[str, str | None]]]:
    history = engine.tables.system.history
    query = (
        sa.select(history.c.kind, history.c.comment, history.c.at)
        .where(history.c.entity == "order", history.c.record_id == record_id)
        .order_by(history.c.id)
    )
    with engine.db.begin() as connection:
        return list(connection.execute(query))


def upload(shop: Engine, username: str) -> int:
    stored = shop.files.upload(
        act(shop, username), "order", "file", "scan.pdf", io.BytesIO(b"%PDF-1"), "application/pdf"
    )
    return stored.id


def test_a_created_record_equals_a_fresh_read_for_every_field_type(shop: Engine) -> None:
    root = act(shop, "root")
    created = shop.records.create(root, "order", {**EVERYTHING, "file": [upload(shop, "root")]})
    fresh = shop.records.get(root, "order", created.id)
    assert created == fresh
    # The same types, not merely equal values (a Decimal of another scale, a naive moment).
    for name, value in fresh.values.items():
        assert type(created.values[name]) is type(value), name
        assert repr(created.values[name]) == repr(value), name
    assert created.created_at == fresh.created_at and created.created_at.tzinfo is not None
    assert created["total"] == Decimal("25.50") and created["number"] == "SO-202603-001"
    assert [item["name"] for item in created["file"]] == ["scan.pdf"]


def test_a_created_record_hides_the_fields_the_actor_may_not_read(shop: Engine) -> None:
    root, audrey = act(shop, "root"), act(shop, "audrey")
    supplier = shop.records.create(root, "supplier", {"name": "Acme", "rating": 4})
    assert shop.records.get(audrey, "supplier", supplier.id).values.get("rating") is None
    assert "rating" not in shop.records.get(audrey, "supplier", supplier.id).values
    assert supplier["rating"] == 4


def test_create_many_in_returns_what_fresh_reads_give(shop: Engine) -> None:
    root = act(shop, "root")
    rows: list[dict[str, Any]] = [
        {"title": "First", "amount": "12.30"},
        EVERYTHING,
        {"title": "Third"},
    ]
    with shop.db.begin() as connection:
        made = shop.records.create_many_in(connection, root, "order", rows)
    assert [record.id for record in made] == [1, 2, 3]
    assert made == [shop.records.get(root, "order", record.id) for record in made]
    assert [record["number"] for record in made] == [f"SO-202603-00{n}" for n in (1, 2, 3)]
    assert made[0]["kind"] == "retail" and made[0]["owner"] == "root"
    assert made[0]["status"] == "open" and made[1]["gross"] == Decimal("28.82")
    assert made[1]["lines"][1]["qty"] == 1 and made[1]["lines"][1]["subtotal"] == Decimal("15")
    for record in made:
        assert [row.kind for row in created_history(shop, record.id)] == [HistoryKind.CREATED]
    history = shop.records.history(root, "order", made[1].id)
    assert history[0].changes["title"] == [None, "Everything"]
    assert history[0].changes["tags"][1] == ["blue", "red"]


def test_create_many_in_refuses_a_unique_key_repeated_among_its_rows(shop: Engine) -> None:
    ann = act(shop, "ann")
    rows = [{"title": "One", "code": "AB-123"}, {"title": "Two", "code": "AB-123"}]
    with pytest.raises(RowFailed) as caught, shop.db.begin() as connection:
        shop.records.create_many_in(connection, ann, "order", rows)
    assert caught.value.index == 1 and list(caught.value.fields) == ["code"]
    assert isinstance(caught.value, ValidationFailed)
    with shop.db.begin() as connection:
        shop.records.create_in(connection, ann, "order", {"title": "Kept", "code": "AB-123"})
    with pytest.raises(RowFailed) as caught, shop.db.begin() as connection:
        shop.records.create_many_in(
            connection, ann, "order", [{"title": "Again", "code": "AB-123"}]
        )
    assert caught.value.index == 0 and list(caught.value.fields) == ["code"]


def test_create_many_in_names_the_refused_row_and_writes_nothing(shop: Engine) -> None:
    ann = act(shop, "ann")
    rows: list[dict[str, Any]] = [
        {"title": "Fine"},
        {"title": "Fine too"},
        {"title": "x", "quantity": 0},
    ]
    with pytest.raises(RowFailed) as caught, shop.db.begin() as connection:
        shop.records.create_many_in(connection, ann, "order", rows)
    assert caught.value.index == 2
    assert set(caught.value.fields) == {"title", "quantity"}
    assert shop.records.list(ann, "order").records == ()
    # The sequence numbers taken by the rolled-back rows are given back.
    assert shop.records.create(ann, "order", {"title": "After"})["number"] == "SO-202603-001"


def test_create_many_in_checks_the_permission_and_the_links(shop: Engine) -> None:
    audrey, ann = act(shop, "audrey"), act(shop, "ann")
    with pytest.raises(Forbidden), shop.db.begin() as connection:
        shop.records.create_many_in(connection, audrey, "order", [{"title": "Audit"}])
    with pytest.raises(RowFailed) as caught, shop.db.begin() as connection:
        shop.records.create_many_in(connection, ann, "order", [{"title": "Okay"}, {"title": "Bad",
                                    "supplier": 999, "owner": "ghost"}])  # fmt: skip
    assert caught.value.index == 1 and set(caught.value.fields) == {"supplier", "owner"}


def test_create_many_in_back_dates_trusted_rows_to_their_moments(shop: Engine) -> None:
    system = Actor.system()
    now = shop.clock.now()
    moments = [now - timedelta(days=40), now - timedelta(days=1)]
    options = WriteOptions(trusted=True, comment="import")
    rows = [{"title": "Old", "owner": "ann"}, {"title": "Newer", "owner": "ann"}]
    with shop.db.begin() as connection:
        made = shop.records.create_many_in(
            connection, system, "order", rows, options, moments=moments
        )
    assert [record.created_at for record in made] == moments
    assert [record.updated_at for record in made] == moments
    # The sequence's monthly period and `today()` follow the record's own moment.
    assert [record["number"] for record in made] == ["SO-202601-001", "SO-202603-001"]
    for record, moment in zip(made, moments, strict=True):
        rows_written = created_history(shop, record.id)
        assert [(row.kind, row.comment, row.at) for row in rows_written] == [
            (HistoryKind.CREATED, "import", moment)
        ]
    with pytest.raises(ValueError), shop.db.begin() as connection:
        shop.records.create_many_in(connection, act(shop, "ann"), "order", rows, moments=moments)
    with pytest.raises(ValueError), shop.db.begin() as connection:
        shop.records.create_many_in(connection, system, "order", rows, options, moments=[now])


def test_create_many_in_with_no_rows_writes_nothing(shop: Engine) -> None:
    with shop.db.begin() as connection:
        assert shop.records.create_many_in(connection, act(shop, "ann"), "order", []) == []
