"""`RunContext`: the `ActionContext` of one action of one run (see
engine/automation/context.py) — the runtime side of every action type.

It evaluates the action's values over the triggering record and the names bound so far,
compiles its `where` to SQL, and makes every change through the record and workflow
services inside the run's transaction, as trusted writes that carry the run's chain (so
rules they trigger know their depth) and name the automation in the record's history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.automation import ActionFailed, RecordRef
from engine.automation.context import Bindable
from engine.automation.index import same_value
from engine.errors import NotFound
from engine.expr import EvalContext
from engine.runtime.actor import Actor
from engine.runtime.automation_env import AutomationEnv, Bound, BoundSqlScope
from engine.runtime.directory import Directory
from engine.runtime.preparation import WriteOptions
from engine.runtime.record_env import RecordEnv, RelationLoader
from engine.runtime.workflow_people import WorkflowDirectory
from engine.runtime.workflow_service import ActionRequest
from engine.spec.model_action import ActionSpec
from engine.spec.model_automation import AutomationSpec
from engine.spec.model_values import Label, ValueSpec, label_text
from engine.storage.sql_expr import compile_sql_condition
from engine.storage.sql_scope import EntitySqlScope
from engine.workflow.approvers import resolve_approvers

if TYPE_CHECKING:
    from engine.runtime.automation_service import AutomationService, RunChain

__all__ = ["RunContext", "RunState"]

OLD = "old"
RECORD = "record"


@dataclass
class RunState:
    """One run while it goes: the automation, its triggering record's current values, the
    names bound so far and who it acts as."""

    automation: AutomationSpec
    run_id: int
    variant: str | None  # the triggering entity the expressions were compiled for
    entity: str | None
    record_id: int | None
    values: dict[str, Any]
    old: dict[str, Any] | None
    actor: Actor  # whose change fired the run (rules write as the system, naming them)
    context: EvalContext
    chain: RunChain
    names: dict[str, Bound] = field(default_factory=dict)
    messages: int = 0


class RunContext:
    """The `ActionContext` of `action` within the run `state`."""

    def __init__(
        self,
        service: AutomationService,
        connection: Connection,
        state: RunState,
        action: ActionSpec,
    ) -> None:
        self.service = service
        self.connection = connection
        self.state = state
        self.action = action
        self.runtime = service.records.runtime

    # -- what the action reads --------------------------------------------------------------

    @property
    def record(self) -> RecordRef | None:
        """The triggering record."""
        state = self.state
        if state.entity is None or state.record_id is None:
            return None
        return RecordRef(state.entity, state.record_id)

    @property
    def now(self) -> datetime:
        """The clock's now."""
        return self.state.context.now

    @property
    def today(self) -> date:
        """Today in the app's time zone."""
        return self.state.context.today

    @property
    def first_weekday(self) -> int:
        """The app's week start (0 = Monday)."""
        return self.state.context.first_weekday

    def env(self, base: RecordEnv | None = None) -> AutomationEnv:
        """The names of the run (fresh relation loader: earlier actions may have written)."""
        state = self.state
        loader = RelationLoader(self.connection, self.runtime.store)
        own = self._record_env(loader)
        names: dict[str, Bound] = dict(state.names)
        if own is not None:
            names[RECORD] = own
            if state.old is not None and state.entity is not None:
                fields = self.runtime.app.entities[state.entity].fields
                names[OLD] = RecordEnv(
                    state.old, fields, state.context, loader, entity=state.entity
                )
        return AutomationEnv(
            self.runtime.app, base if base is not None else own, names, state.context, loader
        )

    def _record_env(self, loader: RelationLoader) -> RecordEnv | None:
        state = self.state
        if state.entity is None:
            return None
        fields = self.runtime.app.entities[state.entity].fields
        return RecordEnv(state.values, fields, state.context, loader, entity=state.entity)

    def value(self, value: ValueSpec) -> Any:
        """A literal, or the expression's value."""
        if value.expr is None:
            return value.literal
        evaluate = self.service.compiled.evaluator(self.state.variant, value.expr)
        return evaluate(self.env())

    def values(self, values: Mapping[str, ValueSpec]) -> dict[str, Any]:
        """Each value, evaluated."""
        return {name: self.value(value) for name, value in values.items()}

    def select(self, entity: str, key: str = "where") -> list[int]:
        """Ids of the live records of `entity` the action's `key` expression selects."""
        table = self.runtime.tables.entity(entity)
        query = sa.select(table.c.id).where(table.c.deleted_at.is_(None)).order_by(table.c.id)
        expr = self.action.expressions.get(key)
        if expr is not None:
            checked = self.service.compiled.checked(self.state.variant, expr)
            scope = BoundSqlScope(EntitySqlScope(self.runtime.tables, entity), self.env())
            query = query.where(compile_sql_condition(checked, scope, self.state.context))
        return [int(found) for found in self.connection.scalars(query)]

    def evaluate_on(self, key: str, entity: str, record_id: int) -> Any:
        """The action's expression `key` over one record of `entity`."""
        expr = self.action.expressions.get(key)
        if expr is None:
            return None
        loader = RelationLoader(self.connection, self.runtime.store)
        values = loader.record(entity, record_id)
        if values is None:
            raise NotFound(f"there is no {entity} with id {record_id}")
        fields = self.runtime.app.entities[entity].fields
        base = RecordEnv(values, fields, self.state.context, loader, entity=entity)
        evaluate = self.service.compiled.evaluator(self.state.variant, expr)
        return evaluate(self.env(base))

    def read(self, entity: str, record_id: int) -> Mapping[str, Any]:
        """A record's current values."""
        records = self.service.records
        row = self.runtime.store.select_row(self.connection, entity, record_id)
        if row is None:
            raise NotFound(f"there is no {entity} with id {record_id}")
        return records.current_values(self.connection, entity, row) | {"id": record_id}

    # -- what the action changes ------------------------------------------------------------

    def _options(self) -> WriteOptions:
        state = self.state
        details = {"automation": state.automation.name, "run": state.run_id}
        if state.actor.username is not None:
            details["for"] = state.actor.username  # whose change fired the rule
        return WriteOptions(trusted=True, cause=state.chain, details=details)

    def set_fields(self, values: Mapping[str, Any]) -> None:
        """Change the triggering record and carry on with its new values."""
        ref = self.record
        if ref is None:
            raise ActionFailed("`set` needs a triggering record (this run has none)")
        self.update(ref.entity, ref.id, values)
        self.state.values = dict(self.read(ref.entity, ref.id))

    def create(self, entity: str, values: Mapping[str, Any]) -> RecordRef:
        """Create a record. A value of a workflow's state field (a plan's children made
        `published`) is reached as `update` reaches it: the record is created in the
        initial state, then moved through the workflow."""
        spec = self.runtime.app.entities[entity]
        state_field = spec.workflow.field if spec.workflow is not None else None
        fields = {name: value for name, value in values.items() if name != state_field}
        created = self.service.records.create_in(
            self.connection, Actor.system(), entity, fields, options=self._options()
        )
        if state_field is not None and values.get(state_field) is not None:
            self.update(entity, created.id, {state_field: values[state_field]})
        return RecordRef(entity, created.id)

    def update(self, entity: str, record_id: int, values: Mapping[str, Any]) -> bool:
        """Change a record; False when nothing changed. A new value of a workflow's state
        field moves the record through the workflow (`WorkflowService.move_to`), after the
        other values are written."""
        records = self.service.records
        before = records.version_of(self.connection, entity, record_id)
        spec = self.runtime.app.entities[entity]
        state_field = spec.workflow.field if spec.workflow is not None else None
        fields = {name: value for name, value in values.items() if name != state_field}
        if fields or state_field not in values:
            records.update_in(
                self.connection, Actor.system(), entity, record_id, fields,
                version=None, options=self._options(),
            )  # fmt: skip
        if state_field is not None and state_field in values:
            self.service.workflows.move_to(
                self.connection, entity, record_id, str(values[state_field]),
                cause=self.state.chain, details=self._options().details,
            )  # fmt: skip
            # The action's own `set` may have overwritten values the rule gave: the rule's
            # explicit values win.
            now = self.read(entity, record_id)
            again = {k: v for k, v in fields.items() if not same_value(now.get(k), v)}
            if again:
                records.update_in(
                    self.connection, Actor.system(), entity, record_id, again,
                    version=None, options=self._options(),
                )  # fmt: skip
        after = records.version_of(self.connection, entity, record_id)
        ref = self.record
        if ref is not None and (ref.entity, ref.id) == (entity, record_id):
            self.state.values = dict(self.read(entity, record_id))
        return after != before

    def delete(self, entity: str, record_id: int) -> None:
        """Soft-delete a record."""
        comment = f"automation {self.state.automation.name}"
        self.service.records.deletion.delete_in(
            self.connection, Actor.system(), entity, record_id, None, comment, self._options()
        )

    def transition(self, action: str, comment: str | None) -> str:
        """Take a workflow action on the triggering record (as the system)."""
        ref = self.record
        if ref is None:
            raise ActionFailed("`transition` needs a triggering record (this run has none)")
        workflows = self.service.workflows
        request = ActionRequest(comment=comment, cause=self.state.chain)
        moved = workflows.act_in(
            self.connection, Actor.system(), ref.entity, ref.id, action, request
        )
        self.state.values = dict(self.read(ref.entity, ref.id))
        field_name = workflows.compiled(ref.entity).machine.spec.field
        return str(moved.values.get(field_name))

    def lookup(self, table: str, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """A decision table's outputs for `inputs`."""
        return self.service.decide(table, inputs)

    def bind(self, alias: str, value: Bindable) -> None:
        """Name a result for the actions after this one."""
        self.state.names[alias] = value

    def run_each(
        self, actions: Sequence[ActionSpec], alias: str | None, entity: str, ids: Sequence[int]
    ) -> list[list[Any]]:
        """Run `actions` once per record, `alias` naming it."""
        return self.run_with(actions, alias, [RecordRef(entity, record_id) for record_id in ids])

    def run_with(
        self, actions: Sequence[ActionSpec], alias: str | None, items: Sequence[Bindable]
    ) -> list[list[Any]]:
        """Run `actions` once per item, `alias` naming it; the names bound inside (the
        alias, the nested actions' own `as:`) are dropped after the loop."""
        results: list[list[Any]] = []
        saved = dict(self.state.names)
        try:
            for item in items:
                if alias is not None:
                    self.state.names[alias] = item
                results.append(
                    [self.service.run_action(self.connection, self.state, a) for a in actions]
                )
        finally:
            self.state.names = saved
        return results

    # -- people and messages ----------------------------------------------------------------

    def recipients(self) -> list[str]:
        """The usernames of the action's `to:`."""
        loader = RelationLoader(self.connection, self.runtime.store)
        directory = WorkflowDirectory(self.connection, loader, self.runtime.app.id)
        env = self.env()

        def evaluate(expr: Any) -> Any:
            return self.service.compiled.evaluator(self.state.variant, expr)(env)

        resolved = resolve_approvers(self.action.recipients, self.state.values, directory, evaluate)
        return [found.username for found in resolved]

    def render(self, template: str) -> str:
        """A text template with the run's names."""
        return self.service.renderer.render(template, self.template_names())

    def template_names(self) -> dict[str, Any]:
        """What templates see: `record`, `old` and the bound names, as lazy mappings."""
        env = self.env()
        names: dict[str, Any] = {}
        for name in (RECORD, OLD, *self.state.names):
            if name in env.names:
                bound = env.names[name]
                names[name] = bound if isinstance(bound, Mapping) else _Lazy(env, (name,))
        return names

    def notify(
        self, channel: str, usernames: Sequence[str], title: Label, body: Label | None
    ) -> int:
        """Render per recipient's language and deliver (inbox) or queue (others)."""
        return self.service.notify(self, channel, usernames, title, body)

    def enqueue(self, channel: str, payload: Mapping[str, Any]) -> int:
        """Put a message in the outbox."""
        self.state.messages += 1
        key = f"{self.runtime.app.id}:run{self.state.run_id}:{self.state.messages}"
        return self.service.enqueue(self.connection, channel, payload, key, self.state.run_id)

    def team_members(self, team: int, roles: Sequence[str] = ()) -> list[str]:
        """Active members of a team (their main team), by username; with `roles`, only
        those holding one of them in this app."""
        system = self.runtime.tables.system
        users, memberships = system.users, system.memberships
        query = (
            sa.select(users.c.username)
            .select_from(users.join(memberships, memberships.c.username == users.c.username))
            .where(memberships.c.team_id == team, users.c.active.is_(True))
        )
        if roles:
            held = system.user_roles
            query = query.where(
                users.c.username.in_(
                    sa.select(held.c.username).where(
                        held.c.app == self.runtime.app.id, held.c.role.in_(list(roles))
                    )
                )
            )
        # sorted here, not in SQL: PostgreSQL's collation and SQLite's bytes disagree
        return sorted(str(name) for name in self.connection.scalars(query))

    def teams(self, roles: Sequence[str] = (), under: int | None = None) -> list[int]:
        """Teams with an active member (holding one of `roles`, when given), by name then
        id; with `under`, only that team's subtree (itself included)."""
        system = self.runtime.tables.system
        users, memberships, teams = system.users, system.memberships, system.teams
        staffed = (
            sa.select(memberships.c.team_id)
            .select_from(memberships.join(users, users.c.username == memberships.c.username))
            .where(users.c.active.is_(True))
        )
        if roles:
            held = system.user_roles
            staffed = staffed.where(
                users.c.username.in_(
                    sa.select(held.c.username).where(
                        held.c.app == self.runtime.app.id, held.c.role.in_(list(roles))
                    )
                )
            )
        query = sa.select(teams.c.id, teams.c.name).where(teams.c.id.in_(staffed))
        if under is not None:
            subtree = Directory(system).subtree(self.connection, under)
            query = query.where(teams.c.id.in_(sorted(subtree)))
        # sorted here, not in SQL: PostgreSQL's collation and SQLite's bytes disagree
        rows = sorted((str(row.name), int(row.id)) for row in self.connection.execute(query))
        return [team_id for _, team_id in rows]

    def next_in_turn(self, key: str, candidates: Sequence[str]) -> str:
        """The next candidate in turn for `key` (a durable counter)."""
        if not candidates:
            raise ActionFailed(f"nobody to choose from for '{key}'")
        turn = self.service.next_turn(self.connection, key)
        return candidates[turn % len(candidates)]

    def label(self, label: Label, locale: str) -> str:
        """A label in a language."""
        return label_text(label, locale)


class _Lazy(Mapping[str, Any]):
    """A bound record for templates: `record.name` reads the field when asked."""

    def __init__(self, env: AutomationEnv, path: tuple[str, ...]) -> None:
        self._env = env
        self._path = path

    def __getitem__(self, key: str) -> Any:
        return self._env.resolve((*self._path, key))

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __str__(self) -> str:
        return str(self._env.resolve(self._path))
