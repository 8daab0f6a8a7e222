"""History: one entry per change with who, when, what (old → new, JSON-safe) and why;
fields a reader may not see are left out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from runtime_support import act

from engine.errors import NotFound
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine


def test_every_change_is_recorded_old_to_new(shop: Engine, clock: FixedClock) -> None:
    lead = act(shop, "lead_ann")
    order = shop.records.create(
        lead, "order", {"title": "First", "amount": "10.50", "tags": ["red"]}, comment="phoned in"
    )
    clock.advance(timedelta(minutes=10))
    shop.records.update(
        lead, "order", order.id, {"amount": "11", "tags": ["red", "blue"], "due": "2026-04-01"},
        version=1, comment="customer called",
    )  # fmt: skip
    created, updated = shop.records.history(lead, "order", order.id)
    assert (created.kind, created.by, created.comment) == ("created", "lead_ann", "phoned in")
    assert created.changes["title"] == [None, "First"]
    assert created.changes["amount"] == [None, 10.5]
    assert created.changes["number"] == [None, "SO-202603-001"]
    assert created.changes["status"] == [None, "open"]
    assert "email" not in created.changes  # nothing to record for an empty field
    assert updated.at == clock.now() and updated.comment == "customer called"
    assert updated.changes == {
        "amount": [10.5, 11],
        "tags": [["red"], ["red", "blue"]],
        "due": [None, "2026-04-01"],
    }
    json.dumps([created.changes, updated.changes])


def test_readers_do_not_see_fields_hidden_from_them(shop: Engine) -> None:
    cy = act(shop, "cy")
    supplier = shop.records.create(cy, "supplier", {"name": "Acme", "rating": 3})
    shop.records.update(cy, "supplier", supplier.id, {"rating": 4, "name": "Acme Ltd"}, version=1)
    seen_by_auditor = shop.records.history(act(shop, "audrey"), "supplier", supplier.id)
    assert [e.changes for e in seen_by_auditor] == [
        {"name": [None, "Acme"], "owner": [None, "cy"]},
        {"name": ["Acme", "Acme Ltd"]},
    ]
    assert shop.records.history(cy, "supplier", supplier.id)[1].changes["rating"] == [3, 4]


def test_history_needs_read_access(shop: Engine) -> None:
    order = shop.records.create(act(shop, "ann"), "order", {"title": "Private"})
    with pytest.raises(NotFound):
        shop.records.history(act(shop, "cy"), "order", order.id)


def test_the_history_insert_is_built_once_per_table_and_holds_no_values() -> None:
    import sqlalchemy as sa

    from engine.runtime.history import _insert_into

    metadata = sa.MetaData()
    first = sa.Table("h1", metadata, sa.Column("id", sa.Integer, primary_key=True))
    second = sa.Table("h2", metadata, sa.Column("id", sa.Integer, primary_key=True))
    assert _insert_into(first) is _insert_into(first)
    assert _insert_into(second) is not _insert_into(first)
    assert _insert_into(second).table is second
