"""`RecordEnv`: names of the record, relations followed lazily through the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from runtime_support import act

from engine.expr import EvalContext
from engine.runtime.engine import Engine
from engine.runtime.record_env import RecordEnv, RelationLoader

CONTEXT = EvalContext(datetime(2026, 3, 2, 1, tzinfo=UTC), ZoneInfo("Asia/Shanghai"), "ann")


def test_paths_through_links_users_teams_and_rows(shop: Engine) -> None:
    cy = act(shop, "cy")
    supplier = shop.records.create(cy, "supplier", {"name": "Acme", "rating": 4})
    fields = shop.app.entities["order"].fields
    lines = [{"item": "a", "qty": 2}, {"item": "b", "qty": 3}]
    values: dict[str, Any] = {
        "title": "T",
        "owner": "ann",
        "supplier": supplier.id,
        "team": shop.people.team_by_name("Floor").id,
        "lines": lines,
        "created_by": "cy",
    }
    with shop.db.begin() as connection:
        env = RecordEnv(values, fields, CONTEXT, RelationLoader(connection, shop.runtime.store))
        assert env.resolve(("title",)) == "T"
        assert env.resolve(("supplier", "name")) == "Acme"
        assert env.resolve(("supplier", "owner", "team", "name")) == "Depot"
        assert env.resolve(("owner", "team", "name")) == "Floor"
        assert env.resolve(("owner", "manager")) == "lead_ann"
        assert env.resolve(("owner", "manager", "manager")) == "boss"
        assert env.resolve(("owner", "manager", "manager", "manager")) is None
        assert env.resolve(("team", "parent", "manager", "username")) == "boss"
        assert env.resolve(("created_by", "team", "name")) == "Depot"
        assert env.resolve(("lines", "qty")) == [2, 3]
        assert env.resolve(("backup", "name")) is None
        row = RecordEnv(lines[0], fields["lines"].subfields, CONTEXT, None, parent=env)
        assert row.resolve(("qty",)) == 2
        assert row.resolve(("parent", "title")) == "T"


def test_a_head_s_manager_is_the_next_head_up(shop: Engine) -> None:
    fields = shop.app.entities["order"].fields
    with shop.db.begin() as connection:
        loader = RelationLoader(connection, shop.runtime.store)
        env = RecordEnv({"owner": "lead_ann"}, fields, CONTEXT, loader)
        assert env.resolve(("owner", "manager")) == "boss"
        assert (
            RecordEnv({"owner": "boss"}, fields, CONTEXT, loader).resolve(("owner", "manager"))
            is None
        )
