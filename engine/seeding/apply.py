"""Writing a recipe's people and plan into an app's database — through the people service
and the record service only, never raw table writes.

People are made one by one and only when missing (a user, a team, a role, a main team), so
running again adds nothing. Records are written in one transaction by the system actor as
trusted writes, in batches of consecutive records of one entity through
`RecordService.create_many_in` (defaults, validation, formulas, references, uniqueness,
sequences, history — one multi-row INSERT per batch) and, when the recipe puts a record in
a later workflow state, a trusted `update_in` of the state; when it gives the record a
workflow path, its actions go through `WorkflowService.act_in`, each taken by the user who
may take it (the owner, or a pending approver of the open step). A batch ends before a record
that links to one of its own rows (their ids are not known before the INSERT). Every
creation's history row carries `DEMO_COMMENT`; finding one means the demo records are there
already, and they are not written again. When the engine's clock is a `FixedClock`, each
record is back-dated to its moment (never past the moment seeding started), so
`created_at` and the history tell a believable story.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.history import HistoryKind
from engine.runtime.records import RowFailed, WriteOptions
from engine.runtime.workflow_service import ActionRequest
from engine.seeding.generate import Plan, PlannedRecord, PlannedStep, RecordRef, TeamRef
from engine.seeding.recipe import SeedSpec

__all__ = [
    "DEMO_COMMENT",
    "SeedFailed",
    "SeedReport",
    "apply_people",
    "apply_plan",
    "has_demo_records",
]

DEMO_COMMENT = "demo data (seed --demo)"
Progress = Callable[[str, int], None]
BATCH_SIZE = 500
"""Records per `create_many_in` call: big enough to amortise, small enough to hold."""
_APPROVAL_ACTIONS = frozenset({"approve", "reject", "send_back"})
"""Actions taken by an approver of the open step; the others by the owner (submitter)."""


@dataclass
class SeedReport:
    """What a run changed: people added and records created per entity."""

    users: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    memberships: list[str] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    records_present: bool = False

    @property
    def changed(self) -> bool:
        """True when anything was written."""
        people = self.users or self.teams or self.roles or self.memberships
        return bool(people or any(self.records.values()))


class SeedFailed(Exception):
    """A planned record was refused by the record service (the recipe does not fit the app)."""

    def __init__(self, record: PlannedRecord, problems: dict[str, list[str]]) -> None:
        self.record = record
        self.problems = problems
        listed = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in problems.items())
        super().__init__(f"{record.entity} #{record.index + 1} was refused: {listed}")


def apply_people(engine: Engine, spec: SeedSpec, report: SeedReport) -> None:
    """Create the recipe's missing users and teams; grant missing roles and main teams."""
    people = engine.people
    existing = {user.username: user for user in people.list_users()}
    for user in spec.users:
        if user.username not in existing:
            existing[user.username] = people.create_user(
                user.username,
                name=user.name,
                email=user.email,
                password=spec.password,
                locale=user.locale,
                is_admin=user.admin,
            )
            report.users.append(user.username)
    teams = {team.name: team for team in people.list_teams()}
    for team in spec.teams:
        if team.name not in teams:
            parent = teams[team.parent].id if team.parent else None
            teams[team.name] = people.create_team(team.name, parent_id=parent, manager=team.manager)
            report.teams.append(team.name)
    for user in spec.users:
        held = people.roles_of(engine.app.id, user.username)
        for role in user.roles:
            if role not in held:
                people.grant_role(engine.app.id, user.username, role)
                report.roles.append(f"{user.username}:{role}")
        if user.team is not None and existing[user.username].team_id is None:
            people.set_team(user.username, teams[user.team].id)
            report.memberships.append(f"{user.username}:{user.team}")


def has_demo_records(engine: Engine) -> bool:
    """True when records made by a demo seed are in the database."""
    history = engine.tables.system.history
    query = (
        sa.select(history.c.id)
        .where(
            history.c.app == engine.app.id,
            history.c.kind == HistoryKind.CREATED,
            history.c.comment == DEMO_COMMENT,
        )
        .limit(1)
    )
    with engine.db.begin(readonly=True) as connection:
        return connection.execute(query).first() is not None


UNREAD_FOR = timedelta(days=7)
"""Demo notifications older than this are marked read when seeding ends."""


def apply_plan(
    engine: Engine, plan: Plan, report: SeedReport, progress: Progress | None = None
) -> None:
    """Create the plan's records in one transaction (nothing when they are there already)."""
    if has_demo_records(engine):
        report.records_present = True
        return
    teams = {team.name: team.id for team in engine.people.list_teams()}
    actors: dict[str, Actor] = {}
    if any(record.steps for record in plan.records):
        # Loaded before the write transaction opens (a second connection inside it could
        # wait on SQLite's write lock).
        for user in engine.people.list_users():
            if user.active:
                actors[user.username] = engine.actor(user.username)
    writer = _Writer(engine, teams, actors)

    def written(batch: list[PlannedRecord]) -> None:
        for record in batch:
            done = report.records[record.entity] = report.records.get(record.entity, 0) + 1
            if progress is not None:
                progress(record.entity, done)

    try:
        with engine.db.begin() as connection:
            batch: list[PlannedRecord] = []
            for record in plan.records:
                if batch and not _joins(batch, record):
                    writer.write(connection, batch)
                    written(batch)
                    batch = []
                batch.append(record)
            if batch:
                writer.write(connection, batch)
                written(batch)
            # People have read the news of the past: only the last week's stays unread.
            now = engine.clock.now()
            engine.workflows.steps.mark_read_before(connection, now - UNREAD_FOR, now)
    except BaseException:
        report.records.clear()
        raise
    finally:
        writer.restore_clock()


def _joins(batch: list[PlannedRecord], record: PlannedRecord) -> bool:
    """True when `record` can be written in the same `create_many_in` call as `batch`."""
    entity = batch[0].entity
    if record.entity != entity or len(batch) >= BATCH_SIZE:
        return False
    first = batch[0].index
    return not any(
        isinstance(value, RecordRef) and value.entity == entity and value.index >= first
        for value in record.values.values()
    )


class _Writer:
    """Writes planned records, turning refs into ids and back-dating them to their moments
    when the engine's clock is a fixed one."""

    def __init__(self, engine: Engine, teams: dict[str, int], actors: Mapping[str, Actor]) -> None:
        self.engine = engine
        self.teams = teams
        self.actors = actors
        self.ids: dict[str, list[int]] = {}
        self.actor = Actor.system()
        # The demo is a believable past, written as planned: it fires no automation (no
        # notifications about last year, no rule rewriting the plan).
        self.options = WriteOptions(
            trusted=True, allow_state=True, comment=DEMO_COMMENT, automations=False
        )
        clock = engine.clock
        self.clock = clock if isinstance(clock, FixedClock) else None
        self.started: datetime | None = self.clock.now() if self.clock else None

    def write(self, connection: Connection, batch: list[PlannedRecord]) -> None:
        """Create a batch of records of one entity, then take the workflow path of those
        that have one, and move those that the recipe puts in a later workflow state on to
        it (each a trusted `update_in`)."""
        records = self.engine.records
        entity = batch[0].entity
        rows = [{name: self.resolve(value) for name, value in r.values.items()} for r in batch]
        moments = None
        if self.clock is not None and self.started is not None:
            moments = [min(r.at, self.started) if r.at else self.clock.now() for r in batch]
        options = replace(self.options, automations=batch[0].automations)
        try:
            created = records.create_many_in(
                connection, self.actor, entity, rows, options, moments=moments
            )
        except RowFailed as error:
            raise SeedFailed(batch[error.index], dict(error.fields)) from error
        self.ids.setdefault(entity, []).extend(record.id for record in created)
        workflow = self.engine.app.entities[entity].workflow
        if workflow is None:
            return
        for record, made in zip(batch, created, strict=True):
            if record.steps:
                self.take_steps(connection, record, made.id)
            if record.state is None:
                continue
            # Records start in the initial state; a trusted update moves them on.
            self.move_clock(record.state_at or record.at)
            try:
                records.update_in(
                    connection,
                    self.actor,
                    entity,
                    made.id,
                    {workflow.field: record.state},
                    version=None,
                    options=self.options,
                )
            except ValidationFailed as error:
                raise SeedFailed(record, dict(error.fields)) from error

    def take_steps(self, connection: Connection, record: PlannedRecord, record_id: int) -> None:
        """Take the record's workflow path, each action by the user who may take it, at its
        moment. The path ends early when its next action is not possible from the state the
        record reached (a guard chose another route, or a step was skipped)."""
        workflows = self.engine.workflows
        machine = workflows.compiled(record.entity).machine
        state = machine.spec.initial_state
        for step in record.steps:
            if state is None or not machine.moves(state, step.action):
                return
            self.move_clock(step.at)
            actor = self.actor_for(connection, record, record_id, step, state)
            request = ActionRequest(
                comment=step.comment, to_state=step.to, automations=record.automations
            )
            try:
                done = workflows.act_in(
                    connection, actor, record.entity, record_id, step.action, request
                )
            except ValidationFailed as error:
                raise SeedFailed(replace(record, pointer=step.pointer), error.fields) from error
            except (Conflict, Forbidden, NotFound) as error:
                problems = {step.action: [f"{actor.username or 'system'}: {error}"]}
                raise SeedFailed(replace(record, pointer=step.pointer), problems) from error
            state = str(done[machine.spec.field])

    def actor_for(
        self,
        connection: Connection,
        record: PlannedRecord,
        record_id: int,
        step: PlannedStep,
        state: str,
    ) -> Actor:
        """Who takes the step: a pending approver of the open step (chosen by the step's
        `pick`) for approve/reject/send back in an approval state; else the submitter of
        the open step, or the record's owner."""
        steps = self.engine.workflows.steps
        open_step = None
        if self.engine.workflows.compiled(record.entity).machine.spec.states[state].approval:
            open_step = steps.open_step(connection, record.entity, record_id)
        username: str | None = None
        if open_step is not None and step.action in _APPROVAL_ACTIONS:
            pending = sorted(
                task.assignee
                for task in steps.tasks_of(connection, [open_step.id])
                if task.status == "pending"
            )
            if pending:
                username = pending[min(len(pending) - 1, int(step.pick * len(pending)))]
        elif open_step is not None and open_step.submitter:
            username = open_step.submitter
        else:
            owner = record.values.get("owner")
            username = owner if isinstance(owner, str) else None
        found = self.actors.get(username) if username else None
        return found if found is not None else self.actor

    def resolve(self, value: Any) -> Any:
        if isinstance(value, RecordRef):
            return self.ids[value.entity][value.index]
        if isinstance(value, TeamRef):
            return self.teams[value.name]
        return value

    def move_clock(self, moment: datetime | None) -> None:
        if self.clock is None or self.started is None or moment is None:
            return
        self.clock.set(min(moment, self.started))

    def restore_clock(self) -> None:
        if self.clock is not None and self.started is not None:
            self.clock.set(self.started)
