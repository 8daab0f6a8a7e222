"""The shared `fw_*` tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine.storage.database import Database
from engine.storage.system_tables import SYSTEM_TABLE_NAMES, build_system_tables


def test_the_system_tables_and_their_keys() -> None:
    metadata = sa.MetaData()
    system = build_system_tables(metadata)
    assert [t.name for t in system.all()] == list(SYSTEM_TABLE_NAMES)
    assert SYSTEM_TABLE_NAMES[0] == "fw_users"
    assert build_system_tables(metadata) == system
    assert [c.name for c in system.memberships.primary_key] == ["username"]
    assert [c.name for c in system.user_roles.primary_key] == ["app", "username", "role"]
    assert [c.name for c in system.sequences.primary_key] == ["app", "key", "period"]
    references = {
        (fk.parent.table.name, fk.parent.name): fk.target_fullname
        for table in system.all()
        for fk in table.foreign_keys
    }
    assert references == {
        ("fw_teams", "parent_id"): "fw_teams.id",
        ("fw_teams", "manager"): "fw_users.username",
        ("fw_memberships", "username"): "fw_users.username",
        ("fw_memberships", "team_id"): "fw_teams.id",
        ("fw_user_roles", "username"): "fw_users.username",
        ("fw_tokens", "username"): "fw_users.username",
        ("fw_approval_tasks", "step_id"): "fw_approval_steps.id",
        ("fw_approval_tasks", "assignee"): "fw_users.username",
        ("fw_notifications", "username"): "fw_users.username",
        ("fw_record_grants", "username"): "fw_users.username",
    }


def test_usernames_and_token_hashes_are_unique(db: Database) -> None:
    system = build_system_tables(sa.MetaData())
    system.users.metadata.create_all(db.engine)
    with db.begin() as connection:
        connection.execute(system.users.insert().values(username="ann"))
    with pytest.raises(IntegrityError), db.begin() as connection:
        connection.execute(system.users.insert().values(username="ann"))
    with db.begin(readonly=True) as connection:
        row = connection.execute(sa.select(system.users)).one()
    assert (row.active, row.is_admin) == (True, False)
