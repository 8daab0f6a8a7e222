"""`RecordEnv`: an `engine.expr.Env` over a record being created or changed.

Bare names are the record's values (or, in a subform row, the row's values, with `parent`
the record). Dotted paths are followed lazily through the database, inside the service's
transaction: a link to the linked record's fields (`customer.level`), a user to `username`,
`name`, `email`, `team`, `manager` (`owner.manager.name`), a team to `id`, `name`,
`manager`, `parent`, a subform to one value per row (`lines.price`). What was loaded is
cached for the life of the environment. A user's manager follows the rule of
`engine.storage.people_paths`: the manager of their main team, or — when they head it
themself — of the nearest team above with another manager.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.expr import EvalContext
from engine.runtime.record_store import RecordStore
from engine.spec.model import SYSTEM_FIELDS, FieldSpec

__all__ = ["RecordEnv", "RelationLoader"]

PARENT = "parent"
_CHAIN_LIMIT = 32
_MISSING = object()


class RelationLoader:
    """Loads linked records, users and teams inside one transaction, with caches."""

    def __init__(self, connection: Connection, store: RecordStore) -> None:
        self.connection = connection
        self.store = store
        self.system = store.tables.system
        self._records: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._users: dict[str, dict[str, Any] | None] = {}
        self._teams: dict[int, dict[str, Any] | None] = {}

    def record(self, entity: str, record_id: int) -> dict[str, Any] | None:
        """The linked record's values (column fields; child fields on first use)."""
        key = (entity, record_id)
        if key not in self._records:
            row = self.store.select_row(self.connection, entity, record_id, deleted=None)
            self._records[key] = self.store.column_values(entity, row) if row is not None else None
        return self._records[key]

    def children(self, entity: str, record_id: int, field: str) -> Any:
        """A child field (subform rows, choices, files) of a linked record."""
        values = self.record(entity, record_id)
        if values is None:
            return None
        if field not in values:
            children = self.store.children_of(self.connection, entity, [record_id])
            values.update(children[record_id])
        return values.get(field)

    def user(self, username: str) -> dict[str, Any] | None:
        """`username`, `name`, `email`, `team` of a user."""
        if username not in self._users:
            users, memberships = self.system.users, self.system.memberships
            query = (
                sa.select(
                    users.c.username, users.c.display_name, users.c.email, memberships.c.team_id
                )
                .select_from(
                    users.outerjoin(memberships, memberships.c.username == users.c.username)
                )
                .where(users.c.username == username)
            )
            row = self.connection.execute(query).first()
            self._users[username] = (
                None
                if row is None
                else {
                    "username": row.username,
                    "name": row.display_name,
                    "email": row.email,
                    "team": row.team_id,
                }
            )
        return self._users[username]

    def team(self, team_id: int) -> dict[str, Any] | None:
        """`id`, `name`, `manager`, `parent` of a team."""
        if team_id not in self._teams:
            teams = self.system.teams
            row = self.connection.execute(sa.select(teams).where(teams.c.id == team_id)).first()
            self._teams[team_id] = (
                None
                if row is None
                else {
                    "id": row.id,
                    "name": row.name,
                    "manager": row.manager,
                    "parent": row.parent_id,
                }
            )
        return self._teams[team_id]

    def manager_of(self, username: str) -> str | None:
        """The user's manager: up their main team's chain, the first head who is not them."""
        user = self.user(username)
        team_id = user["team"] if user is not None else None
        for _ in range(_CHAIN_LIMIT):
            if team_id is None:
                return None
            team = self.team(int(team_id))
            if team is None:
                return None
            if team["manager"] is not None and team["manager"] != username:
                return str(team["manager"])
            team_id = team["parent"]
        return None


class RecordEnv:
    """The names of one record (or subform row) for expressions; see the module docstring."""

    def __init__(
        self,
        values: Mapping[str, Any],
        fields: Mapping[str, FieldSpec],
        context: EvalContext,
        loader: RelationLoader | None,
        *,
        parent: RecordEnv | None = None,
        entity: str | None = None,
    ) -> None:
        self.values = values
        self.fields = fields
        self._context = context
        self.loader = loader
        self.parent = parent
        self.entity = entity

    @property
    def context(self) -> EvalContext:
        """The clock, time zone, user and roles."""
        return self._context

    def resolve(self, path: tuple[str, ...]) -> Any:
        """The value at a dotted path; None when anything on the way is unset."""
        head, rest = path[0], path[1:]
        if head == PARENT and head not in self.fields and self.parent is not None:
            return self.parent.resolve(rest) if rest else self.parent.values.get("id")
        value = self.values.get(head)
        field = self.fields.get(head)
        kind = field.type if field is not None else SYSTEM_FIELDS.get(head, "")
        return self._follow(kind, field, value, rest)

    def follow(self, kind: str, value: Any, rest: tuple[str, ...]) -> Any:
        """A value of a `user` or `team` kind followed along `rest` as a field of that kind
        would be (a user bound by `for_each` over members: `m.manager.name`)."""
        return self._follow(kind, None, value, rest)

    def _follow(self, kind: str, field: FieldSpec | None, value: Any, rest: tuple[str, ...]) -> Any:
        if kind == "subform" and field is not None:
            rows = value or []
            if not rest:
                return list(rows)
            return [self._row_env(field, row).resolve(rest) for row in rows]
        if not rest:
            return value
        if value is None or self.loader is None:
            return None
        if kind == "user":
            return self._user(str(value), rest)
        if kind == "team":
            return self._team(int(value), rest)
        if kind == "link" and field is not None and field.link_target is not None:
            return self._linked(field.link_target, int(value), rest)
        return None

    def _row_env(self, field: FieldSpec, row: Mapping[str, Any]) -> RecordEnv:
        return RecordEnv(row, field.subfields, self._context, self.loader, parent=self)

    def _linked(self, entity: str, record_id: int, rest: tuple[str, ...]) -> Any:
        assert self.loader is not None
        values = self.loader.record(entity, record_id)
        if values is None:
            return None
        spec = self.loader.store.app.entities[entity]
        head = spec.fields.get(rest[0])
        if head is not None and head.name not in values:
            values[head.name] = self.loader.children(entity, record_id, head.name)
        env = RecordEnv(values, spec.fields, self._context, self.loader, entity=entity)
        return env.resolve(rest)

    def _user(self, username: str, rest: tuple[str, ...]) -> Any:
        assert self.loader is not None
        member, more = rest[0], rest[1:]
        if member == "username":
            return username if not more else None
        if member == "manager":
            manager = self.loader.manager_of(username)
            return manager if not more or manager is None else self._user(manager, more)
        user = self.loader.user(username)
        value = user.get(member) if user is not None else None
        if member == "team" and more:
            return self._team(int(value), more) if value is not None else None
        return value if not more else None

    def _team(self, team_id: int, rest: tuple[str, ...]) -> Any:
        assert self.loader is not None
        team = self.loader.team(team_id)
        if team is None:
            return None
        member, more = rest[0], rest[1:]
        value = team.get(member, _MISSING)
        if value is _MISSING or value is None or not more:
            return None if value is _MISSING else value
        if member == "manager":
            return self._user(str(value), more)
        if member == "parent":
            return self._team(int(value), more)
        return None
