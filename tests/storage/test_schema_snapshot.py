"""The schema snapshot: built from the spec, stored per app, read back."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from engine.storage.database import Database
from engine.storage.schema_snapshot import Snapshot, load_snapshot, store_snapshot
from engine.storage.shapes import Shape, ShapeKind
from engine.storage.system_tables import build_system_tables

DATA = {
    "format": 1,
    "app": "shop",
    "tables": {
        "shop__order": {
            "entity": "order",
            "field": None,
            "kind": "entity",
            "columns": {"amount": {"field": "amount", "type": "money", "shape": "money:2"}},
        },
        "shop__order__lines": {
            "entity": "order",
            "field": "lines",
            "kind": "subform",
            "columns": {},
        },
    },
}


def test_a_snapshot_answers_what_columns_and_tables_were() -> None:
    snapshot = Snapshot(DATA)
    assert snapshot.column_shape("shop__order", "amount") == Shape(ShapeKind.MONEY, scale=2)
    assert snapshot.column_shape("shop__order", "missing") is None
    assert snapshot.field_of("shop__order", "amount") == "amount"
    assert snapshot.describe_table("shop__order") == "entity 'order'"
    assert snapshot.describe_table("shop__order__lines") == "subform field 'lines' of 'order'"
    assert snapshot.describe_table("elsewhere") is None


def test_snapshots_are_stored_per_app(db: Database) -> None:
    state = build_system_tables(sa.MetaData()).schema_state
    with db.begin() as connection:
        assert load_snapshot(connection, state, "shop") is None
        state.create(connection)
        assert load_snapshot(connection, state, "shop") is None
        at = datetime(2024, 1, 1, tzinfo=UTC)
        store_snapshot(connection, state, "shop", DATA, at)
        store_snapshot(connection, state, "crm", {"tables": {}}, at)
        store_snapshot(connection, state, "shop", DATA | {"format": 1}, at)
    with db.begin(readonly=True) as connection:
        loaded = load_snapshot(connection, state, "shop")
        other = load_snapshot(connection, state, "crm")
        count = connection.execute(sa.select(sa.func.count()).select_from(state)).scalar_one()
    assert loaded is not None and dict(loaded.data) == DATA
    assert other is not None and other.tables == {}
    assert count == 2
