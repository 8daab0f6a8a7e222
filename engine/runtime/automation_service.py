"""`AutomationService`: runs the app's automations — inside the transaction of the change
that fires them, or for the worker's schedules and date timers — and keeps their traces.

**Synchronous.** The record service hands every change to `handle` inside its
transaction (the workflow service after its whole action). The rule index finds the
triggers that watch it; each automation runs at most once per change, its conditions and
actions evaluated over the record, and its writes go through the record service in the
same transaction — so they fire rules in turn. A failing action fails the change: nothing
of it is written, and the run's trace is stored after the rollback (`record_failure`).

**Chains.** Runs started by a run's writes belong to its `RunChain`: deeper than
`MAX_DEPTH` stops with a trace; an automation already running on the same record is
skipped (`single`), run once the current run is done (`queued`) or run at once
(`parallel`); one automation running more than `REPEAT_LIMIT` times on one record within
one change is a loop and is stopped with a trace naming the chain.

**Once.** Every run claims a dedupe key in `fw_automation_runs`: a change by its record's
version and kind, a timer by its record and moment, a schedule by its tick. A key already
taken means it ran: the run is dropped.

**Worker runs** (schedules, date triggers) run inside the scheduler's transaction under a
savepoint: a failure rolls back the run's own writes, stores its trace and lets the tick
count as done. On PostgreSQL, `single` and `queued` take a transaction-scoped advisory
lock per automation (`single` gives up when it is held, `queued` waits).
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.automation import ActionFailed, ChangeEvent, EventKind
from engine.automation.decision import CompiledTable, compile_table
from engine.automation.index import (
    EVENT_TRIGGERS,
    RuleIndex,
    Watch,
    membership_matches,
    trigger_matches,
)
from engine.automation.templates import TemplateRenderer
from engine.errors import AutomationFailed, Forbidden, FormworkError, NotFound
from engine.expr import EvalContext, MappingEnv
from engine.runtime.action_context import RunContext, RunState
from engine.runtime.actor import Actor
from engine.runtime.automation_compile import CompiledAutomations, table_variant
from engine.runtime.automation_env import AutomationEnv
from engine.runtime.directory import Directory, MembershipChange
from engine.runtime.membership_events import event_names, membership_event
from engine.runtime.outbox import OutboxStore
from engine.runtime.record_env import RecordEnv, RelationLoader
from engine.runtime.records import RecordService
from engine.runtime.run_traces import RunRow, RunTraceStore, json_ready
from engine.runtime.sequences import bump_counter
from engine.runtime.workflow_service import WorkflowService
from engine.spec.document import Loc, SourceIndex
from engine.spec.document_expressions import INPUT_PLACEHOLDER, replace_placeholder
from engine.spec.event_scope import MEMBERSHIP
from engine.spec.model_action import ActionSpec
from engine.spec.model_automation import AutomationSpec
from engine.spec.model_table import CellSpec
from engine.spec.model_values import ANY_LOCALE, ExprSpec, Label, ValueSpec, label_text
from engine.workflow.step_store import StepStore

__all__ = [
    "MAX_DEPTH",
    "REPEAT_LIMIT",
    "AutomationService",
    "ManualButton",
    "RunChain",
    "RunOutcome",
]

MAX_DEPTH = 8
"""How deep runs may start runs (a rule's write firing a rule …) within one change."""
REPEAT_LIMIT = 3
"""How often one automation may run on one record within one change before it is a loop."""
DEFAULT_MAX_ATTEMPTS = 5
_TURN_PERIOD = "-"

Subject = tuple[str, str | None, int | None]


@dataclass
class RunChain:
    """The runs of one change: the stack of runs in progress, how often each automation
    ran on each record, and the `queued` runs waiting for the current one."""

    stack: list[Subject] = field(default_factory=list)
    counts: dict[Subject, int] = field(default_factory=dict)
    deferred: list[Callable[[], object]] = field(default_factory=list)

    @property
    def depth(self) -> int:
        """How many runs are in progress."""
        return len(self.stack)

    def path(self) -> str:
        """The runs in progress, outermost first (`a → b on deal #3`)."""
        return " → ".join(
            f"{name}" + (f" on {entity} #{record_id}" if entity else "")
            for name, entity, record_id in self.stack
        )


@dataclass(frozen=True)
class RunOutcome:
    """What a run did: its trace id (None when it had run already) and status."""

    run_id: int | None
    status: str


@dataclass(frozen=True)
class ManualButton:
    """A manual automation a user may start on a record."""

    automation: str
    label: Label


@dataclass
class _Run:
    """Everything a run needs to start."""

    automation: AutomationSpec
    trigger_index: int | None
    trigger_type: str
    event: dict[str, Any]
    entity: str | None
    record_id: int | None
    values: dict[str, Any]
    old: dict[str, Any] | None
    actor: Actor
    chain: RunChain
    dedupe_key: str | None
    replay_of: int | None = None
    fresh: bool = False  # read the record again when the run starts
    # Fired by another automation's change: when its conditions do not hold it leaves no
    # trace (a plan's publication fires thousands of such runs; docs/automation.md).
    quiet: bool = False
    at: datetime | None = None  # what now() is for the run: a schedule's tick, a timer's moment


class _ActionError(Exception):
    """An action failed: which one, and why."""

    def __init__(self, action: ActionSpec, error: Exception) -> None:
        super().__init__(str(error))
        self.action = action
        self.error = error


class AutomationService:
    """The automations of one app; see the module docstring."""

    def __init__(
        self,
        records: RecordService,
        workflows: WorkflowService,
        compiled: CompiledAutomations,
        *,
        sources: SourceIndex | None = None,
    ) -> None:
        self.records = records
        self.workflows = workflows
        self.compiled = compiled
        self.runtime = records.runtime
        self.app = self.runtime.app
        self.sources = sources
        system = self.runtime.tables.system
        self.index = RuleIndex(self.app.automations.values())
        self.traces = RunTraceStore(system, self.app.id)
        self.outbox = OutboxStore(system, self.app.id)
        self.steps = StepStore(system, self.app.id)
        self.renderer = TemplateRenderer(time_zone=self.runtime.contexts.timezone)
        self._tables: dict[str, CompiledTable] = {}
        self._watched = self._watched_kinds()

    def _watched_kinds(self) -> frozenset[tuple[EventKind, str]]:
        found: set[tuple[EventKind, str]] = set()
        for kind, types in EVENT_TRIGGERS.items():
            for trigger_type in types:
                for watch in self.index.of_type(trigger_type):
                    if watch.trigger.entity is not None:
                        found.add((kind, watch.trigger.entity))
        for entity in self.app.entities.values():
            workflow = entity.workflow
            if workflow is not None and any(s.on_enter for s in workflow.states.values()):
                found.add((EventKind.TRANSITIONED, entity.name))
        return frozenset(found)

    # -- the record service's listener ------------------------------------------------------

    def watches(self, kind: EventKind, entity: str) -> bool:
        """True when some trigger (or a state's `on_enter`) watches this change."""
        return (kind, entity) in self._watched

    def handle(
        self, connection: Connection, actor: Actor, events: Sequence[ChangeEvent], cause: Any
    ) -> None:
        """Run what the changes fire, in the caller's transaction (AutomationFailed when a
        run fails: the caller's transaction must roll back)."""
        chain = cause if isinstance(cause, RunChain) else RunChain()
        # One write can be several events (`updated` and `transitioned`): an automation
        # runs once for all of them.
        fired: set[tuple[str, str, int, int, str | None]] = set()
        for event in events:
            if event.kind is EventKind.TRANSITIONED:
                self._on_enter(connection, actor, event, chain)
            for watch in self.index.watching(event):
                name = watch.automation.name
                if event.bulk and not watch.automation.on_import:
                    continue
                key = (name, event.entity, event.record_id, event.version, event.approval)
                if key in fired or not self._matches(connection, actor, watch, event):
                    continue
                fired.add(key)
                quiet = isinstance(cause, RunChain)
                self._event_run(connection, actor, watch, event, chain, quiet=quiet)
        if cause is None:
            while chain.deferred:
                chain.deferred.pop(0)()

    def record_failure(self, error: AutomationFailed) -> None:
        """Store a failed run's trace after its transaction rolled back (`error.trace["id"]`
        becomes the stored run's id)."""
        with self.records.db.begin() as connection:
            error.trace["id"] = self.traces.insert(connection, error.trace)

    def _matches(
        self, connection: Connection, actor: Actor, watch: Watch, event: ChangeEvent
    ) -> bool:
        def evaluate(value: ValueSpec) -> Any:
            if value.expr is None:
                return value.literal
            loader = RelationLoader(connection, self.runtime.store)
            fields = self.app.entities[event.entity].fields
            context = self.runtime.contexts.for_actor(actor)
            base = RecordEnv(event.new, fields, context, loader, entity=event.entity)
            env = AutomationEnv(self.app, base, {"record": base}, context, loader)
            return self.compiled.evaluator(event.entity, value.expr)(env)

        return trigger_matches(watch.trigger, event, evaluate)

    def _event_run(
        self,
        connection: Connection,
        actor: Actor,
        watch: Watch,
        event: ChangeEvent,
        chain: RunChain,
        *,
        quiet: bool = False,
    ) -> None:
        automation = watch.automation
        # `updated` and `transitioned` of one write are one change; an approval event is
        # its own.
        kind = "change" if event.kind in _ONE_CHANGE else event.kind.value
        suffix = f":{event.approval}" if event.approval else ""
        key = f"{self.app.id}:{automation.name}:{event.entity}:{event.record_id}"
        key += f":v{event.version}:{kind}{suffix}"
        described = event.describe() | _changes(event)
        run = _Run(
            automation, watch.index, watch.trigger.type, described, event.entity,
            event.record_id, dict(event.new),
            dict(event.old) if event.kind is not EventKind.CREATED else None,
            actor, chain, key, fresh=event.kind is not EventKind.DELETED, quiet=quiet,
        )  # fmt: skip
        self._go(connection, run)

    def _go(self, connection: Connection, run: _Run) -> None:
        """Start the run now, after the current one (`queued`), or not at all."""
        subject: Subject = (run.automation.name, run.entity, run.record_id)
        stopped = self._stop_reason(run, subject)
        if stopped == "queued":
            run.chain.deferred.append(lambda: self._go(connection, run))
            return
        if stopped is not None:
            self._stopped(connection, run, stopped)
            return
        self._start(connection, run)

    def _stop_reason(self, run: _Run, subject: Subject) -> str | None:
        chain = run.chain
        mode = run.automation.mode
        if chain.depth >= MAX_DEPTH:
            return (
                f"stopped: {chain.depth} automations deep (the limit is {MAX_DEPTH}): "
                f"{chain.path()}"
            )
        count = chain.counts.get(subject, 0) + 1
        if count > REPEAT_LIMIT:
            path = chain.path() or f"{run.automation.name} on {run.entity} #{run.record_id}"
            return (
                f"stopped: a loop — '{run.automation.name}' would run a {count}th time on "
                f"{run.entity} #{run.record_id} within one change: {path}"
            )
        if subject in chain.stack:
            if mode == "single":
                return "skipped: it is already running on this record (mode: single)"
            if mode == "queued":
                return "queued"
        return None

    def _stopped(self, connection: Connection, run: _Run, reason: str) -> None:
        row = self._row(run) | {"status": "stopped", "error": reason}
        row |= {"finished_at": self.runtime.clock.now(), "dedupe_key": None}
        self.traces.claim(connection, row)

    # -- one run ----------------------------------------------------------------------------

    def _row(self, run: _Run) -> dict[str, Any]:
        return {
            "automation": run.automation.name,
            "trigger_index": run.trigger_index,
            "trigger_type": run.trigger_type,
            "entity": run.entity,
            "record_id": run.record_id,
            "event": json_ready(run.event),
            "depth": run.chain.depth,
            "actor": run.actor.username,
            "started_at": self.runtime.clock.now(),
            "dedupe_key": run.dedupe_key,
            "replay_of": run.replay_of,
        }

    def _start(self, connection: Connection, run: _Run) -> RunOutcome:
        """Claim the run's key and run it (AutomationFailed when it fails)."""
        if run.fresh and run.entity is not None and run.record_id is not None:
            # Rules fired by one change run one after another: each sees the record as
            # the ones before it left it (not the change's snapshot).
            current = self._values(connection, run.entity, run.record_id)
            if current is not None:
                run.values = current
        if run.quiet and run.automation.conditions and not self._holds(connection, run):
            return RunOutcome(None, "skipped")
        row = self._row(run)
        run_id = self.traces.claim(connection, row)
        if run_id is None:
            return RunOutcome(None, "duplicate")
        subject: Subject = (run.automation.name, run.entity, run.record_id)
        chain = run.chain
        chain.counts[subject] = chain.counts.get(subject, 0) + 1
        chain.stack.append(subject)
        state = RunState(
            automation=run.automation, run_id=run_id, variant=run.entity, entity=run.entity,
            record_id=run.record_id, values=run.values, old=run.old, actor=run.actor,
            context=self._context(run), chain=chain,
        )  # fmt: skip
        loader = RelationLoader(connection, self.runtime.store)
        state.names.update(event_names(run.event, state.context, loader))
        conditions: list[dict[str, Any]] = []
        actions: list[dict[str, Any]] = []
        try:
            status = self._conditions(connection, state, conditions)
            if status == "done":
                for action in run.automation.actions:
                    result = self.run_action(connection, state, action)
                    actions.append(self._placed(action.loc) | {"type": action.type} | result)
        except AutomationFailed:
            raise  # a run this one started failed: its own trace says where
        except _ActionError as failure:
            where = self._placed(failure.action.loc)
            actions.append(where | {"type": failure.action.type, "error": str(failure)})
            raise self._failed(row, run_id, conditions, actions, failure.error, where) from failure
        except (FormworkError, ValueError, LookupError, ArithmeticError, TypeError) as error:
            where = self._placed(run.automation.loc)
            raise self._failed(row, run_id, conditions, actions, error, where) from error
        finally:
            chain.stack.pop()
        self.traces.finish(
            connection, run_id, status=status, conditions=conditions, actions=actions,
            finished_at=self.runtime.clock.now(),
        )  # fmt: skip
        return RunOutcome(run_id, status)

    def _holds(self, connection: Connection, run: _Run) -> bool:
        """True when the run's conditions hold (checked before a quiet run is traced)."""
        state = RunState(
            automation=run.automation, run_id=0, variant=run.entity, entity=run.entity,
            record_id=run.record_id, values=run.values, old=run.old, actor=run.actor,
            context=self._context(run), chain=run.chain,
        )  # fmt: skip
        loader = RelationLoader(connection, self.runtime.store)
        state.names.update(event_names(run.event, state.context, loader))
        return self._conditions(connection, state, []) == "done"

    def _context(self, run: _Run) -> EvalContext:
        """The run's evaluation context: a caught-up tick sees its own day as today."""
        context = self.runtime.contexts.for_actor(run.actor)
        return dataclasses.replace(context, now=run.at) if run.at is not None else context

    def _conditions(
        self, connection: Connection, state: RunState, trace: list[dict[str, Any]]
    ) -> str:
        """Evaluate the conditions in order (stopping at the first that does not hold)."""
        context = RunContext(self, connection, state, _NO_ACTION)
        for condition in state.automation.conditions:
            value = self.compiled.evaluator(state.variant, condition)(context.env())
            trace.append(self._placed(condition.loc) | {"expr": condition.text, "value": value})
            if value is not True:
                return "skipped"
        return "done"

    def run_action(self, connection: Connection, state: RunState, action: ActionSpec) -> Any:
        """Run one action through its type's `run` (its result, JSON-ready)."""
        declared = self.runtime.registry.action_types.get(action.type)
        if declared is None or declared.run is None:
            error = ActionFailed(f"the action type '{action.type}' cannot run (no runner)")
            raise _ActionError(action, error)
        context = RunContext(self, connection, state, action)
        try:
            result = declared.run(context, action)
        except (AutomationFailed, _ActionError):
            raise
        except (
            ActionFailed, FormworkError, ValueError, LookupError, ArithmeticError, TypeError,
        ) as error:  # fmt: skip
            raise _ActionError(action, error) from error
        if isinstance(result, Mapping):
            return json_ready(result)
        return {"result": json_ready(result)}

    def _failed(
        self,
        row: Mapping[str, Any],
        run_id: int,
        conditions: list[dict[str, Any]],
        actions: list[dict[str, Any]],
        error: Exception,
        where: Mapping[str, Any],
    ) -> AutomationFailed:
        message = _message(error)
        trace = dict(row) | {
            "id": run_id,
            "status": "failed",
            "conditions": json_ready(conditions),
            "actions": json_ready(actions),
            "error": message,
            "error_at": where.get("at"),
            "finished_at": self.runtime.clock.now(),
        }
        return AutomationFailed(str(row["automation"]), where.get("at"), message, trace)

    def _placed(self, loc: Loc) -> dict[str, Any]:
        """Where a YAML node is: `at` (file:line) and its pointer."""
        position = self.sources.position(loc) if self.sources is not None else None
        at = f"{loc.file}:{position.line}" if position is not None else loc.file
        return {"at": at, "pointer": loc.pointer}

    # -- membership changes (the people service's listener) ----------------------------------

    def membership_changed(
        self, connection: Connection, changes: Sequence[MembershipChange]
    ) -> None:
        """Run the `membership` automations the changes fire, in the people service's
        transaction, one change after another (AutomationFailed: it must roll back)."""
        watches = self.index.of_type(MEMBERSHIP)
        if not watches:
            return
        for change in changes:
            chain = RunChain()
            fired: set[str] = set()
            event = membership_event(change)
            for watch in watches:
                name = watch.automation.name
                if name in fired or not self._membership_matches(connection, watch, event):
                    continue
                fired.add(name)
                run = _Run(
                    watch.automation, watch.index, MEMBERSHIP, event, None, None, {}, None,
                    Actor.system(), chain, None,
                )  # fmt: skip
                self._go(connection, run)
            self._drain(chain)

    def _membership_matches(
        self, connection: Connection, watch: Watch, event: Mapping[str, Any]
    ) -> bool:
        """The trigger's `change`, then its `team`: that team or one below it (a team
        that does not exist matches nothing)."""
        if not membership_matches(watch.trigger, str(event["change"])):
            return False
        value = watch.trigger.parameters.get("team")
        if value is None:
            return True
        wanted = value.literal
        if value.expr is not None:
            context = self.runtime.contexts.for_actor(Actor.system())
            loader = RelationLoader(connection, self.runtime.store)
            env = AutomationEnv(
                self.app, None, dict(event_names(event, context, loader)), context, loader
            )
            wanted = self.compiled.evaluator(None, value.expr)(env)
        directory = Directory(self.runtime.tables.system)
        if isinstance(wanted, str) and not wanted.isdigit():
            row = directory.team_by_name(connection, wanted)
            wanted = row.id if row is not None else None
        if wanted is None or isinstance(wanted, bool):
            return False
        return int(event["team"]) in directory.subtree(connection, int(wanted))

    # -- workflow on_enter ------------------------------------------------------------------

    def _on_enter(
        self, connection: Connection, actor: Actor, event: ChangeEvent, chain: RunChain
    ) -> None:
        """The `on_enter` actions of the state a record just entered, as a run."""
        workflow = self.app.entities[event.entity].workflow
        state = workflow.states.get(event.to_state or "") if workflow is not None else None
        if state is None or not state.on_enter:
            return
        automation = AutomationSpec(
            name=f"on_enter:{event.entity}.{state.name}", label=state.label, description={},
            enabled=True, mode="parallel", triggers=(), conditions=(),
            actions=state.on_enter, loc=state.loc,
        )  # fmt: skip
        key = f"{self.app.id}:{automation.name}:{event.record_id}:v{event.version}"
        run = _Run(
            automation, None, "on_enter", event.describe(), event.entity, event.record_id,
            dict(event.new), dict(event.old), actor, chain, key,
        )  # fmt: skip
        stopped = self._stop_reason(run, (automation.name, event.entity, event.record_id))
        if stopped is not None and stopped != "queued":
            self._stopped(connection, run, stopped)
            return
        self._start(connection, run)

    # -- worker runs ------------------------------------------------------------------------

    def run_scheduled(
        self, connection: Connection, automation: str, trigger_index: int, tick: datetime
    ) -> None:
        """A schedule's tick (the scheduler claimed it in this transaction)."""
        spec = self.app.automations[automation]
        key = f"{self.app.id}:{automation}:{trigger_index}:tick:{tick.isoformat()}"
        event = {"kind": "schedule", "tick": tick.isoformat()}
        run = _Run(
            spec, trigger_index, "schedule", event, None, None, {}, None, Actor.system(),
            RunChain(), key, at=tick,
        )  # fmt: skip
        self._guarded(connection, run)

    def run_dated(
        self,
        connection: Connection,
        automation: str,
        trigger_index: int,
        entity: str,
        record_id: int,
        fire_at: datetime,
    ) -> None:
        """A date trigger reached for one record (the scheduler's sweep)."""
        spec = self.app.automations[automation]
        values = self._values(connection, entity, record_id)
        if values is None:
            return
        key = f"{self.app.id}:{automation}:{trigger_index}:{entity}:{record_id}"
        key += f":at:{fire_at.isoformat()}"
        event = {"kind": "date", "entity": entity, "record_id": record_id}
        event["fire_at"] = fire_at.isoformat()
        run = _Run(
            spec, trigger_index, "date", event, entity, record_id, values, None,
            Actor.system(), RunChain(), key, at=fire_at,
        )  # fmt: skip
        self._guarded(connection, run)

    def _guarded(self, connection: Connection, run: _Run) -> RunOutcome:
        """A worker run under a savepoint: a failure keeps only its trace."""
        if not self._take_turn(connection, run):
            self._stopped(
                connection, run, "skipped: another run of it is in progress (mode: single)"
            )
            return RunOutcome(None, "stopped")
        savepoint = connection.begin_nested()
        try:
            outcome = self._start(connection, run)
        except AutomationFailed as error:
            savepoint.rollback()
            return RunOutcome(self.traces.insert(connection, error.trace), "failed")
        savepoint.commit()
        return outcome

    def _take_turn(self, connection: Connection, run: _Run) -> bool:
        """PostgreSQL: one run of a `single`/`queued` automation at a time."""
        if connection.dialect.name != "postgresql" or run.automation.mode == "parallel":
            return True
        key = zlib.crc32(f"{self.app.id}:{run.automation.name}".encode()) - 2**31
        if run.automation.mode == "single":
            taken = connection.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(key)))
            return bool(taken)
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
        return True

    def _values(self, connection: Connection, entity: str, record_id: int) -> dict[str, Any] | None:
        row = self.runtime.store.select_row(connection, entity, record_id)
        if row is None:
            return None
        return self.records.current_values(connection, entity, row) | {"id": record_id}

    # -- manual runs and replays ------------------------------------------------------------

    def manual_buttons(self, actor: Actor, entity: str) -> list[ManualButton]:
        """The manual automations of `entity` the actor may start."""
        found: list[ManualButton] = []
        for watch in self.index.of_type("manual"):
            if watch.trigger.entity != entity or not self._may_press(actor, watch):
                continue
            label = watch.trigger.option("label") or watch.automation.label
            if not isinstance(label, Mapping):
                label = {ANY_LOCALE: str(label)}
            found.append(ManualButton(watch.automation.name, label))
        return found

    def _may_press(self, actor: Actor, watch: Watch) -> bool:
        roles = watch.trigger.option("roles")
        permissions = self.runtime.permissions
        if not roles or permissions.is_admin(actor):
            return True
        return bool(set(roles) & self.runtime.roles.expand(actor.roles))

    def run_manual(self, actor: Actor, entity: str, record_id: int, automation: str) -> RunOutcome:
        """Start a manual automation on a record (its own transaction)."""
        watch = next(
            (
                w
                for w in self.index.of_type("manual")
                if w.automation.name == automation and w.trigger.entity == entity
            ),
            None,
        )
        if watch is None:
            raise NotFound(f"'{entity}' has no manual automation '{automation}'")
        if not self._may_press(actor, watch):
            raise Forbidden(f"you may not run '{automation}'")
        with self.records.transaction() as connection:
            action = "read" if watch.trigger.option("roles") else "update"
            self.records.require_row(connection, actor, entity, record_id, action)
            values = self._values(connection, entity, record_id)
            assert values is not None
            event = {"kind": "manual", "entity": entity, "record_id": record_id}
            run = _Run(
                watch.automation, watch.index, "manual", event, entity, record_id, values,
                None, actor, RunChain(), None,
            )  # fmt: skip
            outcome = self._start(connection, run)
            self._drain(run.chain)
            return outcome

    def replay(self, actor: Actor, run_id: int) -> RunOutcome:
        """Run a stored run's automation again on its record as it is now (admins)."""
        if not self.runtime.permissions.is_admin(actor):
            raise Forbidden("only administrators may replay automation runs")
        with self.records.db.begin(readonly=True) as connection:
            stored = self.traces.get(connection, run_id)
        if stored is None:
            raise NotFound(f"there is no automation run {run_id}")
        spec = self.app.automations.get(stored.automation)
        if spec is None:
            raise NotFound(f"the automation '{stored.automation}' no longer exists")
        with self.records.transaction() as connection:
            values: dict[str, Any] = {}
            if stored.entity is not None and stored.record_id is not None:
                found = self._values(connection, stored.entity, stored.record_id)
                if found is None:
                    raise NotFound(f"{stored.entity} #{stored.record_id} no longer exists")
                values = found
            old = _old_values(stored, values)
            event = dict(stored.event) | {"replay_of": stored.id}
            run = _Run(
                spec, stored.trigger_index, stored.trigger_type, event, stored.entity,
                stored.record_id, values, old, Actor.system(), RunChain(), None, stored.id,
            )  # fmt: skip
            outcome = self._start(connection, run)
            self._drain(run.chain)
            return outcome

    @staticmethod
    def _drain(chain: RunChain) -> None:
        while chain.deferred:
            chain.deferred.pop(0)()

    def runs(self, **filters: Any) -> list[RunRow]:
        """Stored runs, newest first (filters of `RunTraceStore.list`)."""
        with self.records.db.begin(readonly=True) as connection:
            return self.traces.list(connection, **filters)

    def run(self, run_id: int) -> RunRow:
        """One stored run (NotFound)."""
        with self.records.db.begin(readonly=True) as connection:
            found = self.traces.get(connection, run_id)
        if found is None:
            raise NotFound(f"there is no automation run {run_id}")
        return found

    # -- services for the actions -----------------------------------------------------------

    def decide(self, table: str, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """A decision table's outputs (ActionFailed when no row matches)."""
        compiled = self._tables.get(table)
        if compiled is None:
            compiled = compile_table(self.app.tables[table], self.sources)
            self._tables[table] = compiled
        variant = table_variant(table)
        context = self.runtime.contexts.for_actor(Actor.system())
        given = {name: inputs.get(name) for name in compiled.input_names}

        def cell(spec: CellSpec, value: Any) -> bool:
            assert spec.expr is not None
            text = replace_placeholder(spec.expr.text)
            expr = ExprSpec(text, spec.expr.loc, spec.expr.offset)
            env = MappingEnv(given | {INPUT_PLACEHOLDER: value}, context)
            return self.compiled.evaluator(variant, expr)(env) is True

        def output(expr: ExprSpec) -> Any:
            return self.compiled.evaluator(variant, expr)(MappingEnv(given, context))

        result = compiled.evaluate(inputs, expression_cell=cell, output_expression=output)
        if not result.matched:
            shown = ", ".join(f"{k}={json_ready(v)!r}" for k, v in inputs.items())
            raise ActionFailed(f"no row of the decision table '{table}' matches {shown}")
        return dict(result.outputs)

    def notify(
        self,
        context: RunContext,
        channel: str,
        usernames: Sequence[str],
        title: Label,
        body: Label | None,
    ) -> int:
        """Deliver to the inbox now, or queue one message for the channel's worker."""
        people = self._people(context.connection, usernames)
        state = context.state
        if channel == "inbox":
            for person in people:
                locale = self.runtime.locale_of(person["locale"])
                self.steps.notify(
                    context.connection, username=person["username"], entity=state.entity,
                    record_id=state.record_id, kind="automation", at=self.runtime.clock.now(),
                    title=context.render(label_text(title, locale)),
                    body=context.render(label_text(body, locale)) if body else None,
                )  # fmt: skip
            return len(people)
        locale = self.app.default_locale
        message: dict[str, Any] = {
            "title": context.render(label_text(title, locale)),
            "body": context.render(label_text(body, locale)) if body else "",
            "recipients": people,
            "automation": state.automation.name,
        }
        if state.entity is not None:
            message["record"] = {"entity": state.entity, "id": state.record_id}
        settings = self.app.settings.get(channel) or {}
        if channel == "webhook":
            payload: dict[str, Any] = {"url": settings.get("url"), "method": "POST"}
            payload |= {"headers": {}, "body": message}
        else:
            payload = message
        context.enqueue(channel, payload)
        return 1

    def _people(self, connection: Connection, usernames: Sequence[str]) -> list[dict[str, Any]]:
        if not usernames:
            return []
        users = self.runtime.tables.system.users
        query = sa.select(
            users.c.username, users.c.display_name, users.c.email, users.c.locale
        ).where(users.c.username.in_(list(usernames)), users.c.active.is_(True))
        found = {row.username: row for row in connection.execute(query)}
        return [
            {
                "username": name,
                "name": found[name].display_name,
                "email": found[name].email,
                "locale": found[name].locale,
            }
            for name in usernames
            if name in found
        ]

    def enqueue(
        self,
        connection: Connection,
        channel: str,
        payload: Mapping[str, Any],
        key: str,
        run_id: int,
    ) -> int:
        """Put a message in the outbox, in the run's transaction."""
        settings = self.app.settings.get(channel) or {}
        attempts = int(settings.get("max_attempts", DEFAULT_MAX_ATTEMPTS))
        return self.outbox.enqueue(
            connection, channel=channel, payload=json_ready(payload), idempotency_key=key,
            max_attempts=attempts, now=self.runtime.clock.now(), run_id=run_id,
        )  # fmt: skip

    def next_turn(self, connection: Connection, key: str) -> int:
        """A durable counter for round-robin turns: 0, 1, 2, … per key."""
        sequences = self.runtime.tables.system.sequences
        return bump_counter(connection, sequences, self.app.id, key[:100], _TURN_PERIOD) - 1


_ONE_CHANGE = frozenset({EventKind.UPDATED, EventKind.TRANSITIONED})

_NO_ACTION = ActionSpec(
    type="", options={}, expressions={}, parameters={}, value_maps={}, nested={},
    recipients=(), loc=Loc(""),
)  # fmt: skip


def _changes(event: ChangeEvent) -> dict[str, Any]:
    """The changed fields' old and new values, for the trace."""
    if event.kind is EventKind.CREATED:
        return {}
    changes = {
        name: [event.old.get(name), event.new.get(name)]
        for name in sorted(event.changed)
        if name in event.old or name in event.new
    }
    return {"changes": changes} if changes else {}


def _old_values(stored: RunRow, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """A replayed run's `old`: the record now, with the changed fields as they were."""
    changes = stored.event.get("changes")
    if not isinstance(changes, Mapping):
        return None
    old = dict(values)
    for name, pair in changes.items():
        if isinstance(pair, list) and pair:
            old[name] = pair[0]
    return old


def _message(error: Exception) -> str:
    text = str(error).strip()
    return text or type(error).__name__
