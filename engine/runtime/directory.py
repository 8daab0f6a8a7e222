"""The people tables inside a transaction: users, teams, memberships and roles as rows,
the `User` / `Team` values made from them (`PeopleService` is the API over these), and the
`MembershipChange`s a change of someone's main team makes (what `membership` triggers hear).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import NotFound
from engine.storage.system_tables import SystemTables

__all__ = [
    "JOINED",
    "LEFT",
    "Directory",
    "MembershipChange",
    "Team",
    "User",
    "membership_changes",
    "team_of_row",
    "user_of",
]

JOINED = "joined"
LEFT = "left"
_TREE_LIMIT = 64  # deeper team trees are data errors (a cycle): stop walking there
Row = sa.Row[tuple[object, ...]]


@dataclass(frozen=True)
class User:
    """A user as stored (never the password hash)."""

    username: str
    name: str | None
    email: str | None
    locale: str | None
    active: bool
    is_admin: bool
    team_id: int | None


@dataclass(frozen=True)
class Team:
    """A team: its parent in the tree and its manager (a username)."""

    id: int
    name: str
    parent_id: int | None
    manager: str | None


@dataclass(frozen=True)
class MembershipChange:
    """An active user joined (`JOINED`) or left (`LEFT`) a team: their main team changed,
    or they were deactivated (left) or reactivated (joined)."""

    username: str
    team_id: int
    change: str


def membership_changes(
    username: str, before: int | None, after: int | None
) -> list[MembershipChange]:
    """What moving an active user from team `before` to team `after` is: leaving the old
    team, then joining the new one (nothing when it is the same team)."""
    if before == after:
        return []
    changes = [] if before is None else [MembershipChange(username, before, LEFT)]
    if after is not None:
        changes.append(MembershipChange(username, after, JOINED))
    return changes


class Directory:
    """Lookups and membership changes on the people tables, within a caller's connection."""

    def __init__(self, system: SystemTables) -> None:
        self.system = system
        # Built once: every API request resolves its actor through these.
        users, memberships, user_roles = system.users, system.memberships, system.user_roles
        self._user = sa.select(users).where(users.c.username == sa.bindparam("username"))
        self._team = sa.select(memberships.c.team_id).where(
            memberships.c.username == sa.bindparam("username")
        )
        self._roles = sa.select(user_roles.c.role).where(
            user_roles.c.app == sa.bindparam("app"),
            user_roles.c.username == sa.bindparam("username"),
        )

    def user_row(self, connection: Connection, username: str) -> Row | None:
        """The user's row, or None."""
        return connection.execute(self._user, {"username": username}).first()

    def require_user(self, connection: Connection, username: str) -> Row:
        """The user's row (NotFound when there is none)."""
        row = self.user_row(connection, username)
        if row is None:
            raise NotFound(f"there is no user '{username}'")
        return row

    def team_by_name(self, connection: Connection, name: str) -> Row | None:
        """The first team called `name`, or None."""
        teams = self.system.teams
        return connection.execute(
            sa.select(teams).where(teams.c.name == name).order_by(teams.c.id)
        ).first()

    def require_team(self, connection: Connection, team_id: int) -> Row:
        """The team's row (NotFound when there is none)."""
        teams = self.system.teams
        row = connection.execute(sa.select(teams).where(teams.c.id == team_id)).first()
        if row is None:
            raise NotFound(f"there is no team with id {team_id}")
        return row

    def team_of(self, connection: Connection, username: str) -> int | None:
        """The user's main team."""
        value = connection.scalar(self._team, {"username": username})
        return int(value) if value is not None else None

    def set_team(
        self, connection: Connection, username: str, team_id: int | None
    ) -> list[MembershipChange]:
        """Make `team_id` the user's main team (None: no team); the membership changes it
        makes (none for an inactive user: they are in no team until reactivated)."""
        before = self.team_of(connection, username)
        if before == team_id:
            return []
        if team_id is not None:
            self.require_team(connection, team_id)
        memberships = self.system.memberships
        connection.execute(memberships.delete().where(memberships.c.username == username))
        if team_id is not None:
            connection.execute(memberships.insert().values(username=username, team_id=team_id))
        row = self.user_row(connection, username)
        if row is None or not row.active:
            return []
        return membership_changes(username, before, team_id)

    def roles(self, connection: Connection, app: str, username: str) -> frozenset[str]:
        """The user's assigned roles in `app`."""
        rows = connection.scalars(self._roles, {"app": app, "username": username})
        return frozenset(str(role) for role in rows)

    def subtree(self, connection: Connection, team_id: int) -> frozenset[int]:
        """The team and every team below it."""
        teams = self.system.teams
        rows = connection.execute(sa.select(teams.c.id, teams.c.parent_id)).all()
        children: dict[int, list[int]] = {}
        for row in rows:
            if row.parent_id is not None:
                children.setdefault(int(row.parent_id), []).append(int(row.id))
        found = {team_id}
        frontier = [team_id]
        for _ in range(_TREE_LIMIT):
            frontier = [c for t in frontier for c in children.get(t, []) if c not in found]
            if not frontier:
                break
            found.update(frontier)
        return frozenset(found)


def user_of(row: Row, team_id: object) -> User:
    """A `User` from its row and main team."""
    mapping = row._mapping
    return User(
        username=str(mapping["username"]),
        name=_text(mapping["display_name"]),
        email=_text(mapping["email"]),
        locale=_text(mapping["locale"]),
        active=bool(mapping["active"]),
        is_admin=bool(mapping["is_admin"]),
        team_id=int(str(team_id)) if team_id is not None else None,
    )


def team_of_row(row: Row) -> Team:
    """A `Team` from its row."""
    mapping = row._mapping
    parent = mapping["parent_id"]
    return Team(
        id=int(str(mapping["id"])),
        name=str(mapping["name"]),
        parent_id=int(str(parent)) if parent is not None else None,
        manager=_text(mapping["manager"]),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)
