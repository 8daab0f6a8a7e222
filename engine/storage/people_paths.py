"""Relation paths through people, as SQL: the members of a user value (`username`, `name`,
`email`, `team`, `manager`) and of a team value (`id`, `name`, `manager`, `parent`), each a
correlated scalar subquery over the system tables.

A user's **manager** is the manager of their main team (`fw_memberships`); when the user
manages that team themself, it is the manager of the nearest team above that has a
different manager. A team's manager is the `manager` of its row.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.storage.system_tables import SystemTables

__all__ = ["TEAM_MEMBERS", "USER_MEMBERS", "team_member", "user_member"]

Clause = ColumnElement[Any]

USER_MEMBERS = ("username", "name", "email", "team", "manager")
TEAM_MEMBERS = ("id", "name", "manager", "parent")

_CHAIN_LIMIT = 32  # team trees are never this deep; the bound stops a cycle in bad data


def user_member(system: SystemTables, username: Clause, member: str) -> tuple[Clause, str]:
    """The clause of `member` of the user `username`, and what it is (user/team/value)."""
    users = system.users.alias()
    if member == "username":
        return username, "user"
    if member in ("name", "email"):
        column = users.c.display_name if member == "name" else users.c.email
        query = sa.select(column).where(users.c.username == username)
        return query.correlate_except(users).scalar_subquery(), "value"
    if member == "team":
        memberships = system.memberships.alias()
        query = sa.select(memberships.c.team_id).where(memberships.c.username == username)
        return query.correlate_except(memberships).scalar_subquery(), "team"
    if member == "manager":
        return _manager_of(system, username), "user"
    raise LookupError(f"a user has no '{member}' (members: {', '.join(USER_MEMBERS)})")


def team_member(system: SystemTables, team_id: Clause, member: str) -> tuple[Clause, str]:
    """The clause of `member` of the team `team_id`, and what it is (user/team/value)."""
    if member == "id":
        return team_id, "value"
    teams = system.teams.alias()
    columns = {"name": (teams.c.name, "value"), "manager": (teams.c.manager, "user")}
    columns["parent"] = (teams.c.parent_id, "team")
    if member not in columns:
        raise LookupError(f"a team has no '{member}' (members: {', '.join(TEAM_MEMBERS)})")
    column, kind = columns[member]
    query = sa.select(column).where(teams.c.id == team_id)
    return query.correlate_except(teams).scalar_subquery(), kind


def _manager_of(system: SystemTables, username: Clause) -> Clause:
    """The nearest manager above `username` along their main team and its parents."""
    memberships = system.memberships.alias()
    anchor = (
        sa.select(
            memberships.c.team_id.label("team_id"),
            sa.literal_column("0", sa.Integer).label("depth"),
        )
        .where(memberships.c.username == username)
        .correlate_except(memberships)
    )
    chain = anchor.cte(recursive=True, nesting=True)
    up = system.teams.alias()
    chain = chain.union_all(
        sa.select(up.c.parent_id, chain.c.depth + sa.literal_column("1", sa.Integer)).where(
            up.c.id == chain.c.team_id,
            up.c.parent_id.is_not(None),
            chain.c.depth < _CHAIN_LIMIT,
        )
    )
    teams = system.teams.alias()
    query = (
        sa.select(teams.c.manager)
        .select_from(chain.join(teams, teams.c.id == chain.c.team_id))
        .where(teams.c.manager.is_not(None), teams.c.manager != username)
        .order_by(chain.c.depth)
        .limit(1)
        .correlate_except(teams, chain)
    )
    return query.scalar_subquery()
