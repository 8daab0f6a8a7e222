"""Who may do what to which records: effective role permissions per entity, row scopes as
SQL, and per-field access.

A role's permissions on an entity are its own entry merged with those of every role it
inherits; an actor with several roles gets the union of theirs. Merging keeps the widest
of each: `create` if any grants it, the row scopes OR-ed together (`own` ⊂ `team` ⊂
`subteams` ⊂ `all`, `=expression` scopes added beside them), field access `edit` > `read`
> `none` (a field a grant does not list is `edit`). A role with no entry on an entity may
do nothing there. `admin` — an administrator user, or the `admin` role — may do everything.

Scopes, for an entity whose `owner` is a user field: `own` — the owner is me; `team` — the
owner's main team is mine; `subteams` — the owner's team is mine or below it (the actor
carries those team ids); both include my own records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.expr import CheckedExpr, ValueType, check_expression
from engine.runtime.actor import Actor
from engine.runtime.contexts import ContextFactory
from engine.runtime.roles import RoleTree
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import (
    ADMIN_ROLE,
    AppSpec,
    EntitySpec,
    RolePermissionSpec,
    ScopeKind,
    ScopeSpec,
)
from engine.spec.registry import Registry
from engine.storage.sql_expr import compile_sql_condition
from engine.storage.sql_scope import EntitySqlScope
from engine.storage.tables import AppTables

__all__ = ["ACTIONS", "OWNER_FIELD", "Access", "EntityGrant", "Permissions"]

Access = Literal["edit", "read", "none"]
Clause = ColumnElement[Any]
ACTIONS = ("read", "update", "delete", "export")
OWNER_FIELD = "owner"
_ACCESS_RANK: Mapping[str, int] = {"none": 0, "read": 1, "edit": 2}
_OWNER_KINDS = (ScopeKind.OWN, ScopeKind.TEAM, ScopeKind.SUBTEAMS)


@dataclass(frozen=True)
class EntityGrant:
    """What a set of roles may do on one entity: the merged result of their entries."""

    create: bool
    scopes: Mapping[str, tuple[ScopeSpec, ...]]
    fields: Mapping[str, Access]

    def field_access(self, name: str) -> Access:
        """`edit` unless a role entry restricts the field."""
        return self.fields.get(name, "edit")


NO_GRANT = EntityGrant(False, MappingProxyType({a: () for a in ACTIONS}), MappingProxyType({}))


def merge_grants(grants: Iterable[EntityGrant]) -> EntityGrant:
    """The union of several grants (the widest of everything)."""
    listed = list(grants)
    if not listed:
        return NO_GRANT
    scopes = {action: _widest(s for g in listed for s in g.scopes[action]) for action in ACTIONS}
    names = {name for grant in listed for name in grant.fields}
    fields: dict[str, Access] = {}
    for name in names:
        best = max((g.field_access(name) for g in listed), key=lambda a: _ACCESS_RANK[a])
        if best != "edit":
            fields[name] = best
    return EntityGrant(
        any(g.create for g in listed), MappingProxyType(scopes), MappingProxyType(fields)
    )


def _widest(scopes: Iterable[ScopeSpec]) -> tuple[ScopeSpec, ...]:
    """Scopes that together cover the same rows: the widest owner scope, the expressions."""
    listed = [s for s in scopes if s.kind is not ScopeKind.NONE]
    if any(s.kind is ScopeKind.ALL for s in listed):
        return (ScopeSpec(ScopeKind.ALL),)
    owner = [s for s in listed if s.kind in _OWNER_KINDS]
    kept = [max(owner, key=lambda s: s.rank)] if owner else []
    seen: set[str] = set()
    for scope in listed:
        expr = scope.expr
        if scope.kind is ScopeKind.EXPRESSION and expr is not None and expr.text not in seen:
            seen.add(expr.text)
            kept.append(scope)
    return tuple(kept)


def _grant_of(entry: RolePermissionSpec) -> EntityGrant:
    scopes = {action: _widest([getattr(entry, action)]) for action in ACTIONS}
    fields: dict[str, Access] = {}
    for name, access in entry.fields.items():
        if access in ("read", "none"):
            fields[name] = cast(Access, access)
    return EntityGrant(entry.create, MappingProxyType(scopes), MappingProxyType(fields))


class Permissions:
    """Role permissions of one app, resolved once at load."""

    def __init__(
        self,
        app: AppSpec,
        tables: AppTables,
        registry: Registry,
        contexts: ContextFactory,
        roles: RoleTree,
    ) -> None:
        self.app = app
        self.tables = tables
        self.contexts = contexts
        self.roles = roles
        self._grants = {
            name: {role: self._role_grant(entity, role) for role in app.roles}
            for name, entity in app.entities.items()
        }
        self._checked = _check_scope_expressions(app, registry)
        # Entities whose workflow gives approvers and CC recipients read access.
        self._granting = frozenset(
            name
            for name, entity in app.entities.items()
            if entity.workflow is not None
            and any(s.approval is not None or s.cc for s in entity.workflow.states.values())
        )
        # Merged grants by (roles, entity): a memo of pure results, so sharing it between
        # threads is safe (at worst a grant is merged twice).
        self._merged: dict[tuple[frozenset[str], str], EntityGrant] = {}

    def _role_grant(self, entity: EntitySpec, role: str) -> EntityGrant:
        entries = entity.permissions.roles
        listed = [entries[r] for r in self.roles.expand([role]) if r in entries]
        return merge_grants(_grant_of(entry) for entry in listed)

    def is_admin(self, actor: Actor) -> bool:
        """True for administrators and the system: everything is allowed."""
        return actor.is_admin or actor.is_system or ADMIN_ROLE in actor.roles

    def grant(self, actor: Actor, entity: str) -> EntityGrant:
        """The merged grant of every role the actor has on `entity`."""
        if self.is_admin(actor):
            return ALL_GRANT
        key = (actor.roles, entity)
        found = self._merged.get(key)
        if found is None:
            grants = self._grants[entity]
            found = merge_grants(grants[role] for role in actor.roles if role in grants)
            self._merged[key] = found
        return found

    def can_create(self, actor: Actor, entity: str) -> bool:
        """True when the actor may create records of `entity`."""
        return self.grant(actor, entity).create

    def can(self, actor: Actor, entity: str, action: str) -> bool:
        """True when the actor may `action` (read/update/delete/export) some rows of `entity`."""
        return bool(self.grant(actor, entity).scopes[action])

    def field_access(self, actor: Actor, entity: str, field: str) -> Access:
        """What the actor may do with one field: `edit`, `read` or `none`."""
        grant = self.grant(actor, entity)
        if not grant.create and not any(grant.scopes[a] for a in ACTIONS):
            return "none"
        return grant.field_access(field)

    def row_filter(
        self, actor: Actor, entity: str, action: str, *, table: sa.FromClause | None = None
    ) -> Clause:
        """The rows of `entity` the actor may `action`, as a WHERE clause over `table`
        (default: the entity's table)."""
        source = table if table is not None else self.tables.entity(entity)
        scopes = self.grant(actor, entity).scopes[action]
        clauses = [self._scope_clause(actor, entity, source, scope) for scope in scopes]
        granting = action == "read" and entity in self._granting and actor.username is not None
        if granting and not any(scope.kind is ScopeKind.ALL for scope in scopes):
            clauses.append(source.c.id.in_(self._granted(entity, str(actor.username))))
        if not clauses:
            return sa.false()
        return clauses[0] if len(clauses) == 1 else sa.or_(*clauses)

    def _granted(self, entity: str, username: str) -> sa.Select[tuple[int]]:
        """Records of `entity` the user was given to read: as an approver or CC recipient."""
        grants = self.tables.system.record_grants
        return sa.select(grants.c.record_id).where(
            grants.c.app == self.app.id, grants.c.entity == entity, grants.c.username == username
        )

    def _scope_clause(
        self, actor: Actor, entity: str, source: sa.FromClause, scope: ScopeSpec
    ) -> Clause:
        if scope.kind is ScopeKind.ALL:
            return sa.true()
        if scope.kind is ScopeKind.EXPRESSION and scope.expr is not None:
            checked = self._checked[(entity, scope.expr.text)]
            sql_scope = EntitySqlScope(self.tables, entity, source)
            return compile_sql_condition(checked, sql_scope, self.contexts.for_actor(actor))
        owner = source.c[OWNER_FIELD]
        mine = owner == actor.username if actor.username is not None else sa.false()
        teams: Iterable[int] = ()
        if scope.kind is ScopeKind.TEAM and actor.team_id is not None:
            teams = (actor.team_id,)
        elif scope.kind is ScopeKind.SUBTEAMS:
            teams = sorted(actor.team_ids)
        if not teams:
            return mine
        memberships = self.tables.system.memberships
        members = sa.select(memberships.c.username).where(memberships.c.team_id.in_(list(teams)))
        return sa.or_(mine, owner.in_(members))


ALL_GRANT = EntityGrant(
    True,
    MappingProxyType({a: (ScopeSpec(ScopeKind.ALL),) for a in ACTIONS}),
    MappingProxyType({}),
)


def _check_scope_expressions(
    app: AppSpec, registry: Registry
) -> Mapping[tuple[str, str], CheckedExpr]:
    """Every `=expression` scope, checked once (as a SQL condition over the entity)."""
    builder = ScopeBuilder(app, registry)
    checked: dict[tuple[str, str], CheckedExpr] = {}
    for name, entity in app.entities.items():
        scope = builder.entity_scope(entity)
        for entry in entity.permissions.roles.values():
            for action in ACTIONS:
                spec: ScopeSpec = getattr(entry, action)
                if spec.expr is None or (name, spec.expr.text) in checked:
                    continue
                checked[(name, spec.expr.text)] = check_expression(
                    spec.expr.text,
                    scope,
                    registry.functions,
                    expect=ValueType.BOOLEAN,
                    sql=True,
                    entity=name,
                )
    return MappingProxyType(checked)
