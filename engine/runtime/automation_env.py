"""The names an automation's expressions see while it runs, in Python and in SQL.

`AutomationEnv` is an `engine.expr.Env`: bare names are the fields of its base record (the
triggering record, or inside `where`/`weight` the target record), and `record`, `old` and
every `as:` alias bound so far resolve as the checker typed them — a record name alone is
its id, `name.field` follows the record's fields and relations lazily, a `lookup` alias is
its table's outputs.

`BoundSqlScope` compiles a `where` over the target entity: the target's fields are
columns, the bound names are constants of this run (`parent == record` is `parent = 42`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from engine.automation import RecordRef
from engine.automation.context import TeamRef, UserRef
from engine.expr import EvalContext
from engine.runtime.link_filters import sql_literal
from engine.runtime.record_env import RecordEnv, RelationLoader
from engine.spec.model import AppSpec
from engine.storage.sql_scope import EntitySqlScope

__all__ = ["AutomationEnv", "Bound", "BoundSqlScope"]

Bound = RecordRef | UserRef | TeamRef | Mapping[str, Any] | RecordEnv
"""What a name can be bound to: a record, a user, a team, named values (a table's outputs,
a period), or a record's values."""


class AutomationEnv:
    """See the module docstring."""

    def __init__(
        self,
        app: AppSpec,
        base: RecordEnv | None,
        names: Mapping[str, Bound],
        context: EvalContext,
        loader: RelationLoader | None,
    ) -> None:
        self.app = app
        self.base = base
        self.names = names
        self._context = context
        self.loader = loader

    @property
    def context(self) -> EvalContext:
        """The clock, time zone, user and roles."""
        return self._context

    def resolve(self, path: tuple[str, ...]) -> Any:
        """The value at a dotted path; None when anything on the way is unset."""
        head, rest = path[0], path[1:]
        bound = self.names.get(head)
        if bound is not None:
            return self._bound(bound, rest)
        if self.base is not None:
            return self.base.resolve(path)
        return None

    def _bound(self, bound: Bound, rest: tuple[str, ...]) -> Any:
        if isinstance(bound, RecordEnv):
            return bound.resolve(rest) if rest else bound.values.get("id")
        if isinstance(bound, RecordRef):
            if not rest:
                return bound.id
            env = self.record_env(bound)
            return env.resolve(rest) if env is not None else None
        if isinstance(bound, UserRef):
            return RecordEnv({}, {}, self._context, self.loader).follow(
                "user", bound.username, rest
            )
        if isinstance(bound, TeamRef):
            return RecordEnv({}, {}, self._context, self.loader).follow("team", bound.id, rest)
        value: Any = bound
        for part in rest:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    def record_env(self, ref: RecordRef) -> RecordEnv | None:
        """The environment of a bound record (None when it is gone)."""
        if self.loader is None:
            return None
        values = self.loader.record(ref.entity, ref.id)
        if values is None:
            return None
        spec = self.app.entities[ref.entity]
        return RecordEnv(values, spec.fields, self._context, self.loader, entity=ref.entity)


class BoundSqlScope:
    """A `SqlScope` over the target entity where bound names are constants."""

    def __init__(self, inner: EntitySqlScope, env: AutomationEnv) -> None:
        self.inner = inner
        self.env = env

    def column(self, path: tuple[str, ...]) -> ColumnElement[Any]:
        """A bound name's value as a constant, else the target's column."""
        if path and path[0] in self.env.names:
            return sql_literal(self.env.resolve(path))
        return self.inner.column(path)
