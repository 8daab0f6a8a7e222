"""Writing a recipe's people and plan into an app's database — through the people service
and the record service only, never raw table writes.

People are made one by one and only when missing (a user, a team, a role, a main team), so
running again adds nothing. Records are written in one transaction by the system actor as
trusted writes, each through `RecordService.create_in` (defaults, validation, formulas,
references, uniqueness, history) and, when the recipe puts it in a later workflow state, a
trusted `update_in` of the state. Every creation's history row carries `DEMO_COMMENT`;
finding one means the demo records are there already, and they are not written again.
When the engine's clock is a `FixedClock`, it is moved to each record's moment (never past
the moment seeding started), so `created_at` and the history tell a believable story.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.history import HistoryKind
from engine.runtime.records import WriteOptions
from engine.seeding.generate import Plan, PlannedRecord, RecordRef, TeamRef
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


def apply_plan(
    engine: Engine, plan: Plan, report: SeedReport, progress: Progress | None = None
) -> None:
    """Create the plan's records in one transaction (nothing when they are there already)."""
    if has_demo_records(engine):
        report.records_present = True
        return
    teams = {team.name: team.id for team in engine.people.list_teams()}
    writer = _Writer(engine, teams)
    try:
        with engine.db.begin() as connection:
            for record in plan.records:
                writer.write(connection, record)
                done = report.records[record.entity] = report.records.get(record.entity, 0) + 1
                if progress is not None:
                    progress(record.entity, done)
    except BaseException:
        report.records.clear()
        raise
    finally:
        writer.restore_clock()


class _Writer:
    """Writes planned records, turning refs into ids and moving a fixed clock."""

    def __init__(self, engine: Engine, teams: dict[str, int]) -> None:
        self.engine = engine
        self.teams = teams
        self.ids: dict[str, list[int]] = {}
        self.actor = Actor.system()
        self.options = WriteOptions(trusted=True, allow_state=True, comment=DEMO_COMMENT)
        clock = engine.clock
        self.clock = clock if isinstance(clock, FixedClock) else None
        self.started: datetime | None = self.clock.now() if self.clock else None

    def write(self, connection: Connection, record: PlannedRecord) -> None:
        records = self.engine.records
        values = {name: self.resolve(value) for name, value in record.values.items()}
        self.move_clock(record.at)
        try:
            created = records.create_in(
                connection, self.actor, record.entity, values, options=self.options
            )
            self.ids.setdefault(record.entity, []).append(created.id)
            workflow = self.engine.app.entities[record.entity].workflow
            if record.state is not None and workflow is not None:
                # Records start in the initial state; a trusted update moves them on.
                self.move_clock(record.state_at or record.at)
                state = {workflow.field: record.state}
                records.update_in(
                    connection,
                    self.actor,
                    record.entity,
                    created.id,
                    state,
                    version=None,
                    options=self.options,
                )
        except ValidationFailed as error:
            raise SeedFailed(record, dict(error.fields)) from error

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
