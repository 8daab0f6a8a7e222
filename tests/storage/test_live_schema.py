"""Reading the live schema: coarse shapes of reflected columns and the indexes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.storage.column_types import AwareDateTime, ExactDecimal, Money
from engine.storage.database import Database
from engine.storage.live_schema import coarse_shape, reflect_schema


def test_reflected_tables_and_their_coarse_shapes(db: Database) -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "things",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40)),
        sa.Column("body", sa.Text),
        sa.Column("price", Money(2)),
        sa.Column("ratio", ExactDecimal(12, 6)),
        sa.Column("day", sa.Date),
        sa.Column("at", AwareDateTime()),
        sa.Column("done", sa.Boolean),
        sa.Index("ix_things__name__day", "name", "day"),
    )
    sa.Table("others", metadata, sa.Column("id", sa.Integer, primary_key=True))
    metadata.create_all(db.engine)
    with db.begin(readonly=True) as connection:
        live = reflect_schema(connection, ["things", "missing"])
    assert set(live.tables) == {"things"}
    assert {"things", "others"} <= live.names and "others" in live
    things = live.get("things")
    assert things is not None and live.get("missing") is None
    assert {name: str(shape) for name, shape in things.columns.items()} == {
        "id": "integer",
        "name": "string:40",
        "body": "text",
        "price": "integer",
        "ratio": "decimal:12:6",
        "day": "date",
        "at": "datetime",
        "done": "boolean",
    }
    assert all(shape.coarse for shape in things.columns.values())
    index = things.indexes["ix_things__name__day"]
    assert (index.columns, index.unique) == (("name", "day"), False)
    assert things.indexes_on("day") == ("ix_things__name__day",)
    assert table.name == "things"


@pytest.mark.parametrize(
    ("column_type", "text"),
    [(sa.String(), "text"), (sa.Float(), "other"), (sa.LargeBinary(), "other")],
)
def test_unusual_types(column_type: sa.types.TypeEngine[object], text: str) -> None:
    assert str(coarse_shape(column_type)) == text
