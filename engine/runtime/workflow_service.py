"""`WorkflowService`: workflow actions and approvals, through the record service.

Every action is one transaction. It locks the record (`SELECT … FOR UPDATE` on PostgreSQL;
SQLite's writers queue already), reads its state and open approval step, decides with the
entity's shared machine (`engine.workflow`) which move the action makes, checks who may
take it, and then writes — the values the transition sets, the new state, the approval
rows, notifications, read grants and a history entry — through `RecordService.update_in`,
guarded by the record's version. Two people acting at once: the second waits for the first,
sees its result and is judged against it (never a double transition).

Approval steps are data: entering a state with `approval:` resolves its approvers into
tasks; approve / reject / send back / recall / transfer / add approver act on those tasks;
a step that completes by its mode takes the `approve` transition whose `if` holds. A step
with no approver (or, with `skip_if_approved`, only approvers who already approved in this
run) is skipped and recorded as such. Due times are stored on the step; `process_due`
applies the overdue action with the service's clock.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from engine.automation import ChangeEvent, EventKind
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.expr import Evaluator
from engine.runtime.actor import Actor
from engine.runtime.compiled_workflow import CompiledWorkflow
from engine.runtime.history import HistoryKind
from engine.runtime.inputs import read_values
from engine.runtime.messages import Message, render
from engine.runtime.preparation import WriteOptions
from engine.runtime.problems import Problems
from engine.runtime.record import Record
from engine.runtime.record_env import RecordEnv, RelationLoader
from engine.runtime.records import RecordService
from engine.runtime.values import is_blank
from engine.runtime.workflow_people import WorkflowDirectory
from engine.spec.model import Label
from engine.spec.model_values import label_text
from engine.spec.model_workflow import ApprovalSpec, StateSpec, TransitionSpec
from engine.storage.shapes import ShapeKind
from engine.workflow import Move, acting_seq, step_complete
from engine.workflow.approval import ADDED_ORIGINS, base_satisfied
from engine.workflow.approvers import resolve_approvers, sequential
from engine.workflow.due import due_at
from engine.workflow.step_store import Notification, StepRow, StepStore, TaskRow

__all__ = [
    "APPROVAL_ONLY_ACTIONS",
    "ActionRequest",
    "AvailableAction",
    "Inbox",
    "InboxItem",
    "StepTrail",
    "WorkflowService",
]

APPROVAL_ONLY_ACTIONS = ("transfer", "add_approver")
"""Approval actions that are not transitions: they change who approves, not the state."""
_TASK_ACTIONS = frozenset({"approve", "reject", "send_back"})
_STEP_EVENTS = frozenset({"approved", "rejected", "sent_back"})
"""How a step closes, as approval events of the automations."""
_MAX_CHAIN = 20
MAX_COMMENT = 4000
"""The longest comment an action takes (characters)."""


@dataclass(frozen=True)
class ActionRequest:
    """What the actor sends with an action."""

    comment: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    to_state: str | None = None  # send back: which earlier step
    to_user: str | None = None  # transfer, add approver
    position: str = "after"  # add approver: before or after oneself
    version: int | None = None
    cause: Any = None  # an automation's run chain, when a rule takes the action
    automations: bool = True  # False: the action fires no rule (the demo seed's past)


@dataclass(frozen=True)
class AvailableAction:
    """An action the actor may take now, as a button."""

    name: str
    label: Label
    style: str
    comment: str  # required | optional | none
    targets: tuple[str, ...]  # the states it may lead to (the actor picks when several)
    needs_user: bool  # transfer / add approver: pick a user
    requires: tuple[str, ...]
    confirm: Label | None


@dataclass(frozen=True)
class StepTrail:
    """One approval step of a record with its tasks (the record page's approval trail)."""

    step: StepRow
    tasks: tuple[TaskRow, ...]


@dataclass(frozen=True)
class InboxItem:
    """A record waiting for the user, or one they submitted."""

    entity: str
    record_id: int
    title: str
    state: str
    step: StepRow
    task: TaskRow | None
    overdue: bool


@dataclass(frozen=True)
class Inbox:
    """What waits for me, what I submitted, and my notifications."""

    pending: tuple[InboxItem, ...]
    submitted: tuple[InboxItem, ...]
    notifications: tuple[Notification, ...]


@dataclass
class _Context:
    """One action on one record, inside its transaction."""

    connection: Connection
    actor: Actor
    entity: str
    record_id: int
    workflow: CompiledWorkflow
    row: RowMapping
    values: dict[str, Any]
    state: str
    step: StepRow | None
    tasks: list[TaskRow]
    loader: RelationLoader
    result: Record | None = None  # the record as the last update wrote it
    may_update: bool | None = None  # known in advance (many records at once), else asked
    # The action's changes for the automations, released when the whole action is done.
    events: list[Any] = field(default_factory=list)
    cause: Any = None
    automations: bool = True

    @property
    def version(self) -> int:
        return int(self.row["version"])

    @property
    def state_spec(self) -> StateSpec:
        return self.workflow.machine.spec.states[self.state]

    @property
    def approval(self) -> ApprovalSpec | None:
        return self.state_spec.approval if self.step is not None else None

    def my_task(self) -> TaskRow | None:
        """The actor's task that may act now."""
        for task in self.tasks:
            if task.assignee == self.actor.username and task.status == "pending":
                return task
        return None


class WorkflowService:
    """Workflow actions, approvals, the inbox and due times of one app."""

    def __init__(self, records: RecordService, workflows: Mapping[str, CompiledWorkflow]) -> None:
        self.records = records
        self.runtime = records.runtime
        self.db = records.db
        self.workflows = workflows
        self.steps = StepStore(self.runtime.tables.system, self.runtime.app.id)

    # -- public API: one transaction each ---------------------------------------------------

    def actions(self, actor: Actor, entity: str, record_id: int) -> list[AvailableAction]:
        """The actions the actor may take on the record now."""
        with self.db.begin(readonly=True) as connection:
            context = self._context(connection, actor, entity, record_id, lock=False)
            return self._available(context)

    def actions_many(
        self, actor: Actor, entity: str, record_ids: Sequence[int]
    ) -> dict[int, list[AvailableAction]]:
        """`actions` for several records (a board's cards) in one transaction and a few
        queries: the same rules, decided on rows read together. Records the actor cannot
        read are left out."""
        workflow = self.compiled(entity)
        store, permissions = self.runtime.store, self.runtime.permissions
        table = self.runtime.tables.entity(entity)
        ids = sorted(set(record_ids))
        found: dict[int, list[AvailableAction]] = {}
        if not ids:
            return found
        with self.db.begin(readonly=True) as connection:
            query = sa.select(table).where(
                table.c.id.in_(ids),
                table.c.deleted_at.is_(None),
                permissions.row_filter(actor, entity, "read"),
            )
            rows = [row._mapping for row in connection.execute(query)]
            updatable = set(
                connection.scalars(
                    sa.select(table.c.id).where(
                        table.c.id.in_(ids), permissions.row_filter(actor, entity, "update")
                    )
                )
            )
            children = store.children_of(connection, entity, [int(r["id"]) for r in rows])
            steps = self.steps.open_steps(connection, entity, [int(r["id"]) for r in rows])
            tasks = self.steps.tasks_of(connection, [step.id for step in steps.values()])
            loader = RelationLoader(connection, store)
            for row in rows:
                record_id = int(row["id"])
                values = store.column_values(entity, row) | children[record_id]
                for name, field in store.entity(entity).fields.items():
                    if field.shape.kind is ShapeKind.FILES and name in values:
                        values[name] = [item["id"] for item in values[name] or []]
                state = str(values.get(workflow.machine.spec.field))
                step = steps.get(record_id)
                if step is not None and step.state != state:
                    step = None
                mine = [t for t in tasks if step is not None and t.step_id == step.id]
                context = _Context(
                    connection, actor, entity, record_id, workflow, row, values, state, step,
                    mine, loader, may_update=record_id in updatable,
                )  # fmt: skip
                found[record_id] = self._available(context)
        return found

    def act(
        self,
        actor: Actor,
        entity: str,
        record_id: int,
        action: str,
        request: ActionRequest | None = None,
    ) -> Record:
        """Take `action`; the record afterwards. NotFound (unknown action or unreadable
        record), Forbidden (not yours to take), Conflict (not possible now, or stale),
        ValidationFailed (a missing comment, field or choice)."""
        with self.records.transaction() as connection:
            return self.act_in(connection, actor, entity, record_id, action, request)

    def act_in(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        action: str,
        request: ActionRequest | None = None,
    ) -> Record:
        """`act` inside the caller's transaction."""
        request = request or ActionRequest()
        context = self._context(connection, actor, entity, record_id, lock=True)
        context.cause = request.cause
        context.automations = request.automations
        if request.version is not None and request.version != context.version:
            raise Conflict(context.version)
        machine = context.workflow.machine
        if action not in machine.actions and action not in APPROVAL_ONLY_ACTIONS:
            raise NotFound(self._text(actor, "action_unknown", action=action))
        if action in APPROVAL_ONLY_ACTIONS:
            self._reassign(context, action, request)
        elif context.approval is not None and action in _TASK_ACTIONS:
            self._task_action(context, action, request)
        elif context.approval is not None and action == "recall":
            self._recall(context, request)
        else:
            self._plain(context, action, request)
        if self._release(context):
            context.result = None  # rules may have changed the record
        if context.result is not None:
            return context.result
        return self.records.read_in(connection, actor, entity, record_id)

    def move_to(
        self,
        connection: Connection,
        entity: str,
        record_id: int,
        target: str,
        *,
        cause: Any = None,
        details: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Bring a record to `target` for an automation (as the system): by the workflow
        action that leads there from its state when there is one (its guard, `set` and
        required fields apply; the action taken is returned), else directly — an open
        approval step is left, the history says which automation moved it, and
        `transitioned` fires with no action. A move into an approval state needs an action."""
        actor = Actor.system()
        context = self._context(connection, actor, entity, record_id, lock=True)
        context.cause = cause
        if context.state == target:
            return None
        machine = context.workflow.machine
        if target not in machine.spec.states:
            raise ValidationFailed({machine.spec.field: [f"'{target}' is not a state"]})
        for action in machine.actions_from(context.state):
            if context.approval is not None and (action in _TASK_ACTIONS or action == "recall"):
                continue  # an approver's or the submitter's action: the rule leaves the step
            if any(move.target == target for move in machine.moves(context.state, action)):
                self.act_in(
                    connection, actor, entity, record_id, action,
                    ActionRequest(to_state=target, cause=cause),
                )  # fmt: skip
                return action
        if machine.spec.states[target].approval is not None:
            raise ValidationFailed(
                {machine.spec.field: [
                    f"no workflow action leads from '{context.state}' to the approval state "
                    f"'{target}'"
                ]}
            )  # fmt: skip
        now = self.runtime.clock.now()
        if context.step is not None:
            self.steps.close_step(connection, context.step.id, "left", now)
        moved = {"action": None, "from": context.state, "to": target} | dict(details or {})
        options = WriteOptions(
            trusted=True, allow_state=True, history_kind=HistoryKind.TRANSITION,
            details=moved, cause=cause,
        )  # fmt: skip
        self.records.update_in(
            connection, actor, entity, record_id, {machine.spec.field: target},
            version=None, options=options, loaded=(context.row, context.values),
        )  # fmt: skip
        return None

    def _release(self, context: _Context) -> bool:
        """Run the automations of the action's changes (after the whole action, so rules
        see the workflow settled: the next step open, its approvers known)."""
        events, context.events = context.events, []
        if not events:
            return False
        options = WriteOptions(cause=context.cause, automations=context.automations)
        self.records.emit(context.connection, context.actor, events, options)
        return True

    def _approval_event(self, context: _Context, event: str, state: str) -> None:
        """Note an approval event of the step of `state` for the automations."""
        if not self.records.watched(EventKind.APPROVAL, context.entity, WriteOptions()):
            return
        values = dict(context.values) | {"id": context.record_id}
        found = ChangeEvent(
            EventKind.APPROVAL, context.entity, context.record_id, context.version,
            context.actor.label, values, old=values, approval=event, state=state,
        )  # fmt: skip
        context.events.append(found)

    def trail(self, actor: Actor, entity: str, record_id: int) -> list[StepTrail]:
        """The record's approval steps with their tasks, oldest first."""
        with self.db.begin(readonly=True) as connection:
            self.records.require_row(connection, actor, entity, record_id, "read")
            steps = self.steps.steps_of(connection, entity, record_id)
            tasks = self.steps.tasks_of(connection, [s.id for s in steps])
        return [StepTrail(s, tuple(t for t in tasks if t.step_id == s.id)) for s in steps]

    def inbox(self, actor: Actor) -> Inbox:
        """What waits for the actor, what they submitted, their notifications."""
        if actor.username is None:
            return Inbox((), (), ())
        now = self.runtime.clock.now()
        with self.db.begin(readonly=True) as connection:
            pending = [
                self._item(connection, step, task, now)
                for step, task in self.steps.pending_for(connection, actor.username)
            ]
            submitted = [
                self._item(connection, step, None, now)
                for step in self.steps.submitted_by(connection, actor.username)
            ]
            notes = self.steps.notifications_for(connection, actor.username)
        return Inbox(tuple(pending), tuple(submitted), tuple(notes))

    def pending_count(self, actor: Actor) -> int:
        """How many approvals wait for the actor now."""
        if actor.username is None:
            return 0
        with self.db.begin(readonly=True) as connection:
            return self.steps.pending_count(connection, actor.username)

    def unread_count(self, actor: Actor) -> int:
        """How many of the actor's notifications are unread."""
        if actor.username is None:
            return 0
        with self.db.begin(readonly=True) as connection:
            return self.steps.unread_count(connection, actor.username)

    def mark_read(self, actor: Actor) -> int:
        """Mark the actor's notifications read."""
        if actor.username is None:
            return 0
        with self.db.begin() as connection:
            return self.steps.mark_read(connection, actor.username, self.runtime.clock.now())

    def process_due(self) -> list[tuple[StepRow, str]]:
        """Apply the overdue action of every open step past its due time (by the service's
        clock), each in its own transaction; what was done."""
        now = self.runtime.clock.now()
        with self.db.begin(readonly=True) as connection:
            overdue = self.steps.overdue(connection, now)
        done: list[tuple[StepRow, str]] = []
        for step in overdue:
            with self.records.transaction() as connection:
                outcome = self._overdue(connection, step)
            if outcome is not None:
                done.append((step, outcome))
        return done

    # -- reading the record -----------------------------------------------------------------

    def compiled(self, entity: str) -> CompiledWorkflow:
        """The entity's workflow (NotFound when it has none)."""
        found = self.workflows.get(entity)
        if found is None:
            raise NotFound(f"'{entity}' has no workflow")
        return found

    def _context(
        self, connection: Connection, actor: Actor, entity: str, record_id: int, *, lock: bool
    ) -> _Context:
        workflow = self.compiled(entity)
        records = self.records
        if lock and self.db.dialect == "postgresql":
            table = self.runtime.tables.entity(entity)
            connection.execute(
                sa.select(table.c.id).where(table.c.id == record_id).with_for_update()
            )
        row = records.require_row(connection, actor, entity, record_id, "read")
        values = records.current_values(connection, entity, row)
        state = str(values.get(workflow.machine.spec.field))
        state_spec = workflow.machine.spec.states.get(state)
        has_steps = state_spec is not None and state_spec.approval is not None
        # Only an approval state has an open step: plain states skip the query.
        step = self.steps.open_step(connection, entity, record_id) if has_steps else None
        if step is not None and step.state != state:
            step = None  # the state moved on without closing it (e.g. an admin import)
        tasks = self.steps.tasks_of(connection, [step.id]) if step is not None else []
        loader = RelationLoader(connection, self.runtime.store)
        return _Context(
            connection, actor, entity, record_id, workflow, row, values, state, step, tasks,
            loader,
        )  # fmt: skip

    def _env(self, context: _Context, values: Mapping[str, Any] | None = None) -> RecordEnv:
        spec = self.runtime.entity(context.entity).spec
        current = dict(values if values is not None else context.values)
        for name in ("id", "created_at", "created_by", "updated_at", "updated_by", "version"):
            current.setdefault(name, context.row[name])
        eval_context = self.runtime.contexts.for_actor(context.actor)
        return RecordEnv(current, spec.fields, eval_context, context.loader, entity=spec.name)

    def _guard(self, context: _Context, transition: TransitionSpec) -> bool:
        guard = context.workflow.guards.get((transition.name, transition.index))
        return guard is None or guard(self._env(context)) is True

    # -- what may be done -------------------------------------------------------------------

    def _available(self, context: _Context) -> list[AvailableAction]:
        found: list[AvailableAction] = []
        machine = context.workflow.machine
        for action in machine.actions_from(context.state):
            moves = [m for m in machine.moves(context.state, action) if self._allowed(context, m)]
            if not moves:
                continue
            if action == "approve":
                # The route is decided when the step completes; show the first that applies.
                moves = moves[:1]
            first = moves[0].transition
            targets = tuple(dict.fromkeys(m.target for m in moves))
            found.append(
                AvailableAction(
                    action,
                    first.label,
                    first.style,
                    first.comment,
                    targets,
                    False,
                    first.requires,
                    first.confirm,
                )
            )
        approval = context.approval
        if approval is not None and context.my_task() is not None:
            for action in APPROVAL_ONLY_ACTIONS:
                if action in approval.allow:
                    label = {"en": _LABELS[action][0], "zh": _LABELS[action][1]}
                    found.append(
                        AvailableAction(action, label, "default", "optional", (), True, (), None)
                    )
        return found

    def _allowed(self, context: _Context, move: Move) -> bool:
        """True when the actor may take `move` now (without the request's details)."""
        try:
            self._check_actor(context, move)
        except (Forbidden, Conflict):
            return False
        return self._guard(context, move.transition)

    def _check_actor(self, context: _Context, move: Move) -> None:
        """Forbidden/Conflict unless the actor may take this move (roles, tasks, recall)."""
        actor, action = context.actor, move.action
        approval = context.approval
        if approval is not None and action in _TASK_ACTIONS:
            task = context.my_task()
            if task is None:
                raise Forbidden(self._text(actor, "action_no_task"))
            if action == "approve" and self._self_approval(context, approval):
                raise Forbidden(self._text(actor, "action_self_approval"))
            return
        if approval is not None and action == "recall":
            if "recall" not in approval.allow:
                raise Forbidden(self._text(actor, "action_not_allowed_in_step", action=action))
            step = context.step
            if step is None or step.submitter != actor.username:
                raise Forbidden(self._text(actor, "action_recall_submitter"))
            if any(t.acted_at is not None and t.status != "cancelled" for t in context.tasks):
                raise Conflict(context.version, self._text(actor, "action_recall_acted"))
            return
        permissions = self.runtime.permissions
        roles = move.transition.roles
        if roles and not permissions.is_admin(actor):
            held = self.runtime.roles.expand(actor.roles)
            if not set(roles) & held:
                names = ", ".join(roles)
                raise Forbidden(self._text(actor, "action_roles", roles=names, action=action))
        if context.may_update is False:
            raise Forbidden(f"you may not update this {context.entity}")
        if context.may_update is None:
            self.records.require_action(
                context.connection, actor, context.entity, context.record_id, "update"
            )

    def _self_approval(self, context: _Context, approval: ApprovalSpec) -> bool:
        step = context.step
        return (
            not approval.allow_self_approval
            and step is not None
            and step.submitter is not None
            and step.submitter == context.actor.username
        )

    # -- plain transitions, approvals, recall -----------------------------------------------

    def _plain(self, context: _Context, action: str, request: ActionRequest) -> None:
        moves = context.workflow.machine.moves(context.state, action)
        if not moves:
            self._refuse_now(context, action)
        self._check_actor(context, moves[0])
        move = self._fire(context, action, request.to_state, self._guarded(context))
        self._transition(context, move, request, step_status="left")

    def _recall(self, context: _Context, request: ActionRequest) -> None:
        moves = context.workflow.machine.moves(context.state, "recall")
        if not moves:
            self._refuse_now(context, "recall")
        self._check_actor(context, moves[0])
        move = self._fire(context, "recall", request.to_state, self._guarded(context))
        self._transition(context, move, request, step_status="recalled")

    def _task_action(self, context: _Context, action: str, request: ActionRequest) -> None:
        moves = context.workflow.machine.moves(context.state, action)
        if not moves:
            self._refuse_now(context, action)
        self._check_actor(context, moves[0])
        task = context.my_task()
        assert task is not None and context.step is not None  # _check_actor made sure
        now = self.runtime.clock.now()
        if action == "approve":
            self._require_comment(context, moves[0].transition, request)
            if not self.steps.set_task(
                context.connection, task.id, "approved", at=now, comment=request.comment
            ):
                raise Conflict(context.version)
            context.tasks = self.steps.tasks_of(context.connection, [context.step.id])
            approval = context.state_spec.approval
            assert approval is not None
            mode = "all" if sequential(approval.approvers) else approval.mode
            if step_complete(mode, approval.count, approval.percent, context.tasks):
                self._complete(context, request, by_task=task)
            else:
                if base_satisfied(mode, approval.count, approval.percent, context.tasks):
                    # The mode is met; only added approvers remain: the others are done.
                    for other in context.tasks:
                        if other.open and other.origin not in ADDED_ORIGINS:
                            self.steps.set_task(context.connection, other.id, "cancelled", at=now)
                self._promote(context)
                details = {"action": "approve", "step": context.state, "complete": False}
                self._touch(context, HistoryKind.APPROVAL, details, request.comment)
            return
        target = self._send_back_target(context, request) if action == "send_back" else None
        move = self._fire(context, action, target, self._guarded(context))
        status = "rejected" if action == "reject" else "sent_back"
        self._require_comment(context, move.transition, request)
        self.steps.set_task(context.connection, task.id, status, at=now, comment=request.comment)
        self._transition(context, move, request, step_status=status)

    def _complete(
        self, context: _Context, request: ActionRequest, *, by_task: TaskRow | None
    ) -> None:
        """The open step is complete: take the `approve` transition whose `if` holds."""
        moves = context.workflow.machine.moves(context.state, "approve")
        move = context.workflow.machine.fire(context.state, "approve", self._guarded(context))
        if not moves or move is None:
            raise Conflict(
                context.version, self._text(context.actor, "action_no_route", action="approve")
            )
        self._transition(context, move, request, step_status="approved", check_request=False)

    def _promote(self, context: _Context) -> None:
        """Tasks whose turn has come (the ones before them are done) may act now."""
        seq = acting_seq(context.tasks)
        for task in context.tasks:
            if task.status == "waiting" and task.seq == seq:
                self.steps.set_task(context.connection, task.id, "pending", expect=("waiting",))
        context.tasks = self.steps.tasks_of(
            context.connection, [t.step_id for t in context.tasks[:1]]
        )

    def _send_back_target(self, context: _Context, request: ActionRequest) -> str:
        """The state a send back goes to: the one asked for, else the previous step."""
        moves = context.workflow.machine.moves(context.state, "send_back")
        targets = [m.target for m in moves if self._guard(context, m.transition)]
        if request.to_state is not None:
            if request.to_state not in targets:
                raise ValidationFailed(
                    {
                        "to_state": [
                            self._text(context.actor, "choose_target", targets=", ".join(targets))
                        ]
                    }
                )
            return request.to_state
        if not targets:
            self._refuse_now(context, "send_back")
        return self._previous(context, targets) or targets[0]

    def _previous(self, context: _Context, targets: Sequence[str]) -> str | None:
        """The latest earlier step of this run that is one of `targets` (退回上一步), else
        the initial state when it is one of them."""
        current = context.step
        if current is not None:
            steps = self.steps.steps_of(context.connection, context.entity, context.record_id)
            for step in reversed(steps):
                if step.id == current.id or step.run != current.run:
                    continue
                if step.state in targets and step.state != current.state:
                    return step.state
        initial = context.workflow.machine.spec.initial_state
        return initial if initial in targets else None

    # -- transfer and add approver ----------------------------------------------------------

    def _reassign(self, context: _Context, action: str, request: ActionRequest) -> None:
        actor = context.actor
        approval = context.approval
        if approval is None or context.step is None:
            self._refuse_now(context, action)
        assert approval is not None and context.step is not None
        if action not in approval.allow:
            raise Forbidden(self._text(actor, "action_not_allowed_in_step", action=action))
        task = context.my_task()
        if task is None:
            raise Forbidden(self._text(actor, "action_no_task"))
        self._check_comment_length(context, request)
        user = (request.to_user or "").strip()
        directory = WorkflowDirectory(context.connection, context.loader, self.runtime.app.id)
        if not user:
            raise ValidationFailed({"to_user": [self._text(actor, "choose_user")]})
        if not directory.is_active(user):
            raise ValidationFailed({"to_user": [self._text(actor, "unknown_user", value=user)]})
        if any(t.assignee == user and t.open for t in context.tasks) or user == actor.username:
            raise ValidationFailed({"to_user": [self._text(actor, "already_approver", user=user)]})
        if user == context.step.submitter and not approval.allow_self_approval:
            raise ValidationFailed({"to_user": [self._text(actor, "action_self_approval")]})
        now = self.runtime.clock.now()
        connection, step_id = context.connection, context.step.id
        details: dict[str, Any] = {"action": action, "step": context.state, "to_user": user}
        if action == "transfer":
            if not self.steps.set_task(connection, task.id, "transferred", at=now,
                                       comment=request.comment):  # fmt: skip
                raise Conflict(context.version)
            self.steps.add_task(
                connection, step_id=step_id, assignee=user, seq=task.seq, origin=task.origin,
                status="pending", at=now, added_by=actor.username,
            )  # fmt: skip
        else:
            position = request.position
            if position not in ("before", "after"):
                raise ValidationFailed({"position": [self._text(actor, "position")]})
            details["position"] = position
            if position == "before":
                # The added approver acts first; mine waits for them.
                self.steps.add_task(
                    connection, step_id=step_id, assignee=user, seq=task.seq - 1,
                    origin="add_before", status="pending", at=now, added_by=actor.username,
                )  # fmt: skip
                self.steps.set_task(connection, task.id, "waiting", expect=("pending",))
            else:
                self.steps.add_task(
                    connection, step_id=step_id, assignee=user, seq=task.seq + 1,
                    origin="add_after", status="waiting", at=now, added_by=actor.username,
                )  # fmt: skip
        self.steps.grant(connection, context.entity, context.record_id, user, "approver")
        self._touch(context, HistoryKind.APPROVAL, details, request.comment)

    # -- moving the record ------------------------------------------------------------------

    def _guarded(self, context: _Context) -> Callable[[Move], bool]:
        return lambda move: self._guard(context, move.transition)

    def _fire(
        self,
        context: _Context,
        action: str,
        target: str | None,
        allow: Callable[[Move], bool],
    ) -> Move:
        moves = context.workflow.machine.moves(context.state, action)
        targets = list(dict.fromkeys(m.target for m in moves))
        if target is not None and target not in targets:
            message = self._text(context.actor, "choose_target", targets=", ".join(targets))
            raise ValidationFailed({"to_state": [message]})
        if target is None and len(targets) > 1 and action != "approve":
            # Several targets (send back): the previous step when it is one, else the first.
            target = self._previous(context, targets)

        def choose(move: Move) -> bool:
            return (target is None or move.target == target) and allow(move)

        move = context.workflow.machine.fire(context.state, action, choose)
        if move is None:
            raise Conflict(
                context.version, self._text(context.actor, "action_guard", action=action)
            )
        return move

    def _transition(
        self,
        context: _Context,
        move: Move,
        request: ActionRequest,
        *,
        step_status: str,
        check_request: bool = True,
        depth: int = 0,
    ) -> None:
        """Write the move: set values, the new state, close/open steps, notify."""
        transition = move.transition
        actor = context.actor
        values: dict[str, Any] = {}
        if check_request:
            self._require_comment(context, transition, request)
            values.update(self._requested_values(context, transition, request))
        env_values = dict(context.values) | values
        for name, compiled in context.workflow.sets[(transition.name, transition.index)].items():
            values[name] = compiled.value(self._env(context, env_values))
        self._require_fields(context, transition, dict(context.values) | values)
        state_field = context.workflow.machine.spec.field
        values[state_field] = move.target
        now = self.runtime.clock.now()
        if context.step is not None:
            self.steps.close_step(context.connection, context.step.id, step_status, now)
        details: dict[str, Any] = {
            "action": transition.name,
            "from": move.source,
            "to": move.target,
        }
        if context.step is not None:
            details["step"] = context.step.state
        options = WriteOptions(
            trusted=True, allow_state=True, comment=request.comment,
            history_kind=HistoryKind.TRANSITION, details=details, cause=context.cause,
            batch=context.events,
        )  # fmt: skip
        context.result = self.records.update_in(
            context.connection, actor, context.entity, context.record_id, values,
            version=context.version, options=options, loaded=(context.row, context.values),
        )  # fmt: skip
        previous_step = context.step
        if previous_step is not None and step_status in _STEP_EVENTS:
            self._approval_event(context, step_status, previous_step.state)
        target = context.workflow.machine.spec.states[move.target]
        plain = target.approval is None and not target.cc and not (target.final or target.initial)
        if plain and previous_step is None:
            # A plain state: no step to open, nobody to copy or tell — nothing reads the
            # record again (the returned record is the one just written).
            context.state, context.step, context.tasks = move.target, None, []
            return
        self._reload(context, step_closed=True)
        self._entered(context, move, previous_step, depth, request.comment)

    def _entered(
        self,
        context: _Context,
        move: Move,
        previous: StepRow | None,
        depth: int,
        comment: str | None = None,
    ) -> None:
        """After entering `move.target`: open its approval step, copy, notify."""
        spec = context.workflow.machine.spec
        state = spec.states[move.target]
        now = self.runtime.clock.now()
        connection = context.connection
        # A submission ends when its last step closes into a state that asks nobody (final
        # or not: an approved contract may still be cancelled later); the submitter hears it.
        ends = state.approval is None and previous is not None
        if state.approval is None and not state.cc and not (state.final or state.initial or ends):
            return  # a plain state: no step, no copy, nobody to tell
        run, submitter = self._run_of(context, move, previous)
        directory = WorkflowDirectory(connection, context.loader, self.runtime.app.id)
        if state.cc:
            for user in self._resolve(context, state.cc, directory):
                self.steps.grant(connection, context.entity, context.record_id, user, "cc")
                self.steps.notify(
                    connection, username=user, entity=context.entity,
                    record_id=context.record_id, kind="cc", at=now, state=state.name,
                    by=context.actor.username,
                )  # fmt: skip
        told = submitter is not None and submitter != context.actor.username
        if told and (state.final or state.initial or ends) and run > 0:
            kind = "sent_back" if state.initial else f"outcome:{state.name}"
            assert submitter is not None
            self.steps.notify(
                connection, username=submitter, entity=context.entity,
                record_id=context.record_id, kind=kind, at=now, state=state.name,
                by=context.actor.username, comment=comment,
            )  # fmt: skip
        if state.approval is None:
            return
        approval = state.approval
        resolved = resolve_approvers(
            approval.approvers, context.values, directory, lambda e: self._evaluate(context, e)
        )
        if not approval.allow_self_approval and submitter is not None:
            resolved = [r for r in resolved if r.username != submitter]
        due = due_at(approval.due, now, context.values, self.runtime.contexts.timezone)
        skip_reason = None
        if not resolved:
            skip_reason = "no_approver"
        elif approval.skip_if_approved and move.action != "send_back":
            # A step sent back to must look again; forward, approvers are not asked twice.
            approved = self.steps.approved_in_run(
                connection, context.entity, context.record_id, run
            )
            if all(r.username in approved for r in resolved):
                skip_reason = "already_approved"
        status = "open" if skip_reason is None else "skipped"
        step_id = self.steps.create_step(
            connection, entity=context.entity, record_id=context.record_id, run=run,
            state=state.name, from_state=move.source, submitter=submitter, entered_at=now,
            due_at=due if skip_reason is None else None, status=status,
        )  # fmt: skip
        if skip_reason is not None:
            if depth >= _MAX_CHAIN:
                raise Conflict(context.version, "the workflow skipped too many steps in a row")
            skipped = self.steps.get_step(connection, step_id)
            self.records.write_history(
                connection, context.actor, context.entity, context.record_id,
                HistoryKind.APPROVAL, {}, None,
                {"action": "skip", "step": state.name, "reason": skip_reason},
            )  # fmt: skip
            auto = context.workflow.machine.fire(state.name, "approve", self._guarded(context))
            if auto is None:
                raise Conflict(
                    context.version,
                    self._text(context.actor, "action_no_route", action="approve"),
                )
            context.step = None
            self._transition(
                context, auto, ActionRequest(), step_status="approved", check_request=False,
                depth=depth + 1,
            )  # fmt: skip
            del skipped
            return
        self._approval_event(context, "submitted", state.name)
        first = min(r.seq for r in resolved)
        for approver in resolved:
            self.steps.add_task(
                connection, step_id=step_id, assignee=approver.username, seq=approver.seq,
                origin="approver", status="pending" if approver.seq == first else "waiting",
                at=now,
            )  # fmt: skip
            self.steps.grant(
                connection, context.entity, context.record_id, approver.username, "approver"
            )

    def _run_of(
        self, context: _Context, move: Move, previous: StepRow | None
    ) -> tuple[int, str | None]:
        """The run the record is in after `move`, and who submitted it."""
        spec = context.workflow.machine.spec
        last = self.steps.last_run(context.connection, context.entity, context.record_id)
        leaving_initial = spec.states[move.source].initial
        if leaving_initial and spec.states[move.target].approval is not None:
            return last + 1, context.actor.username
        if previous is not None:
            return previous.run, previous.submitter
        steps = self.steps.steps_of(context.connection, context.entity, context.record_id)
        if steps:
            return steps[-1].run, steps[-1].submitter
        return last, None

    def _reload(self, context: _Context, *, step_closed: bool = False) -> None:
        row = self.runtime.store.select_row(
            context.connection, context.entity, context.record_id, deleted=None
        )
        assert row is not None
        context.row = row
        context.values = self.records.current_values(context.connection, context.entity, row)
        context.state = str(context.values.get(context.workflow.machine.spec.field))
        if step_closed:
            # Right after a transition the old step is closed and the new one not yet open.
            context.step, context.tasks = None, []
            return
        context.step = self.steps.open_step(context.connection, context.entity, context.record_id)
        context.tasks = (
            self.steps.tasks_of(context.connection, [context.step.id]) if context.step else []
        )

    def _touch(
        self, context: _Context, kind: str, details: Mapping[str, Any], comment: str | None
    ) -> None:
        options = WriteOptions(
            trusted=True, comment=comment, history_kind=kind, details=details,
            cause=context.cause, batch=context.events,
        )  # fmt: skip
        context.result = None  # the version moves on: read the record again at the end
        self.records.touch_in(
            context.connection, context.actor, context.entity, context.record_id,
            context.version, options,
        )  # fmt: skip

    # -- request checks ---------------------------------------------------------------------

    def _require_comment(
        self, context: _Context, transition: TransitionSpec, request: ActionRequest
    ) -> None:
        if transition.comment == "required" and is_blank((request.comment or "").strip()):
            raise ValidationFailed({"comment": [self._text(context.actor, "comment_required")]})
        self._check_comment_length(context, request)

    def _check_comment_length(self, context: _Context, request: ActionRequest) -> None:
        if request.comment is not None and len(request.comment) > MAX_COMMENT:
            text = render(
                Message("max_length", {"limit": MAX_COMMENT}),
                self.runtime.locale_of(context.actor.locale),
            )
            raise ValidationFailed({"comment": [text]})

    def _requested_values(
        self, context: _Context, transition: TransitionSpec, request: ActionRequest
    ) -> dict[str, Any]:
        """The values the actor sends with the action: the fields the transition requires,
        or fields the current state lets them edit."""
        if not request.values:
            return {}
        spec = self.runtime.entity(context.entity).spec
        editable = set(context.state_spec.editable_fields(spec.fields)) | set(transition.requires)
        problems = {
            name: [self._text(context.actor, "not_settable", action=transition.name)]
            for name in request.values
            if name not in editable or name == context.workflow.machine.spec.field
        }
        if problems:
            raise ValidationFailed(problems)
        compiled = self.runtime.entity(context.entity)
        found = Problems()
        parsed = read_values(compiled.fields, request.values, self.runtime.inputs, found)
        found.raise_if_any(self.runtime.locale_of(context.actor.locale))
        return parsed

    def _require_fields(
        self, context: _Context, transition: TransitionSpec, values: Mapping[str, Any]
    ) -> None:
        missing = [name for name in transition.requires if is_blank(values.get(name))]
        if missing:
            text = render(Message("required"), self.runtime.locale_of(context.actor.locale))
            raise ValidationFailed({name: [text] for name in missing})

    def _refuse_now(self, context: _Context, action: str) -> None:
        locale = self.runtime.locale_of(context.actor.locale).split("-")[0]
        state = label_text(context.state_spec.label, locale, context.state)
        message = self._text(context.actor, "action_not_now", action=action, state=state)
        raise Conflict(context.version, message)

    # -- overdue steps ----------------------------------------------------------------------

    def _overdue(self, connection: Connection, step: StepRow) -> str | None:
        system = Actor.system()
        try:
            context = self._context(connection, system, step.entity, step.record_id, lock=True)
        except NotFound:
            self.steps.set_overdue_done(connection, step.id, self.runtime.clock.now())
            return None
        now = self.runtime.clock.now()
        if context.step is None or context.step.id != step.id:
            self.steps.set_overdue_done(connection, step.id, now)
            return None
        if context.step.overdue_done_at is not None:
            return None  # another worker handled it while this one waited for the lock
        self.steps.set_overdue_done(connection, step.id, now)
        self._approval_event(context, "overdue", step.state)
        outcome = self._apply_overdue(context, step, now)
        self._release(context)
        return outcome

    def _apply_overdue(self, context: _Context, step: StepRow, now: datetime) -> str | None:
        """The step's `on_overdue`: remind the approvers, approve, or send back."""
        connection, system = context.connection, Actor.system()
        approval = context.state_spec.approval
        action = approval.on_overdue if approval is not None else None
        if action == "remind":
            open_tasks = [t for t in context.tasks if t.status == "pending"]
            for task in open_tasks:
                self.steps.notify(
                    connection, username=task.assignee, entity=step.entity,
                    record_id=step.record_id, kind="reminder", at=now, state=step.state,
                )  # fmt: skip
            details = {
                "action": "remind", "step": step.state,
                "to": [t.assignee for t in open_tasks],
            }  # fmt: skip
            self.records.write_history(
                connection, system, step.entity, step.record_id, HistoryKind.APPROVAL, {},
                None, details,
            )  # fmt: skip
            return "remind"
        if action == "approve":
            for task in context.tasks:
                if task.open:
                    self.steps.set_task(
                        connection, task.id, "approved", at=now, comment="overdue: auto-approved"
                    )
            context.tasks = self.steps.tasks_of(connection, [step.id])
            self._complete(context, ActionRequest(comment="overdue"), by_task=None)
            return "approve"
        if action == "send_back":
            target = self._send_back_target(context, ActionRequest())
            move = self._fire(context, "send_back", target, lambda m: True)
            self._transition(
                context, move, ActionRequest(comment="overdue"), step_status="sent_back",
                check_request=False,
            )  # fmt: skip
            return "send_back"
        return None

    # -- small helpers ----------------------------------------------------------------------

    def _resolve(
        self, context: _Context, sources: Sequence[Any], directory: WorkflowDirectory
    ) -> builtins.list[str]:
        resolved = resolve_approvers(
            sources, context.values, directory, lambda e: self._evaluate(context, e)
        )
        return [r.username for r in resolved]

    def _evaluate(self, context: _Context, expr: Any) -> Any:
        evaluate: Evaluator = context.workflow.evaluator(expr)
        return evaluate(self._env(context))

    def _item(
        self, connection: Connection, step: StepRow, task: TaskRow | None, now: datetime
    ) -> InboxItem:
        """An inbox line: the record's title and its state now (the step's when it is gone)."""
        store = self.runtime.store
        row = store.select_row(connection, step.entity, step.record_id, deleted=None)
        values = store.column_values(step.entity, row) if row is not None else {}
        spec = self.runtime.entity(step.entity).spec
        title = values.get(spec.title_field) if spec.title_field else None
        workflow = self.workflows.get(step.entity)
        state = step.state
        if row is not None and workflow is not None:
            state = str(values.get(workflow.machine.spec.field))
        overdue = step.status == "open" and step.due_at is not None and step.due_at <= now
        shown = str(title) if title not in (None, "") else f"#{step.record_id}"
        return InboxItem(step.entity, step.record_id, shown, state, step, task, overdue)

    def _text(self, actor: Actor, key: str, **params: Any) -> str:
        return render(Message(key, params), self.runtime.locale_of(actor.locale))


_LABELS = {
    "transfer": ("Transfer", "转交"),
    "add_approver": ("Add approver", "加签"),
}
