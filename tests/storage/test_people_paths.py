"""A user's manager, their team and a team's members, as SQL over the people tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from engine.storage.database import Database
from engine.storage.people_paths import team_member, user_member
from engine.storage.system_tables import SystemTables, build_system_tables

# Sales(ceo) ← East(lead) ← East-1(no manager); Ops(ops_head, also a member); Loop1 ↔ Loop2.
TEAMS = [
    (1, "Sales", None, "ceo"),
    (2, "East", 1, "lead"),
    (3, "East-1", 2, None),
    (4, "Ops", None, "ops_head"),
    (5, "Loop1", 6, "loop_a"),
    (6, "Loop2", 5, "loop_a"),
]
MEMBERS = {"ceo": 1, "lead": 2, "rep": 3, "ops_head": 4, "loop_a": 5}
USERS = ["ceo", "lead", "rep", "ops_head", "loop_a", "loner"]


@pytest.fixture
def people(db: Database) -> Iterator[tuple[Database, SystemTables]]:
    system = build_system_tables(sa.MetaData())
    system.users.metadata.create_all(db.engine)
    with db.begin_schema_change() as connection:
        connection.execute(
            system.users.insert(), [{"username": u, "display_name": u.title()} for u in USERS]
        )
        for team_id, name, _parent, manager in TEAMS:
            row = {"id": team_id, "name": name, "parent_id": None, "manager": manager}
            connection.execute(system.teams.insert().values(row))
        for team_id, _, parent, _ in TEAMS:
            connection.execute(
                system.teams.update().where(system.teams.c.id == team_id).values(parent_id=parent)
            )
        connection.execute(
            system.memberships.insert(), [{"username": u, "team_id": t} for u, t in MEMBERS.items()]
        )
    yield db, system


def of_user(people: tuple[Database, SystemTables], member: str, username: str) -> Any:
    db, system = people
    clause, _ = user_member(system, sa.literal(username, sa.String), member)
    with db.begin(readonly=True) as connection:
        return connection.execute(sa.select(clause)).scalar_one()


@pytest.mark.parametrize(
    ("username", "manager"),
    [
        ("rep", "lead"),  # East-1 has no manager: the team above it does
        ("lead", "ceo"),  # manages East: the manager above
        ("ceo", None),  # top of the tree
        ("ops_head", None),  # manages a team with nothing above
        ("loop_a", None),  # a cycle in bad data ends
        ("loner", None),  # no team
        ("ghost", None),  # no such user
    ],
)
def test_a_users_manager(
    people: tuple[Database, SystemTables], username: str, manager: str | None
) -> None:
    assert of_user(people, "manager", username) == manager


def test_user_members(people: tuple[Database, SystemTables]) -> None:
    assert of_user(people, "name", "rep") == "Rep"
    assert of_user(people, "team", "rep") == 3
    assert of_user(people, "team", "loner") is None
    clause, kind = user_member(people[1], sa.literal("rep"), "username")
    assert kind == "user"
    assert clause.compare(sa.literal("rep"))
    with pytest.raises(LookupError, match="members: username, name, email, team, manager"):
        user_member(people[1], sa.literal("rep"), "age")


def test_team_members(people: tuple[Database, SystemTables]) -> None:
    db, system = people
    results = {}
    for member in ("id", "name", "manager", "parent"):
        clause, kind = team_member(system, sa.literal(2, sa.Integer), member)
        with db.begin(readonly=True) as connection:
            results[member] = (connection.execute(sa.select(clause)).scalar_one(), kind)
    assert results == {
        "id": (2, "value"),
        "name": ("East", "value"),
        "manager": ("lead", "user"),
        "parent": (1, "team"),
    }
    with pytest.raises(LookupError, match="a team has no 'size'"):
        team_member(system, sa.literal(2), "size")
