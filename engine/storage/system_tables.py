"""The system tables (`fw_*`), shared by every app in a database: people and teams, roles,
API tokens, history, sequence counters, files, the schema snapshot of each app, and the
workflow's approval steps, approval tasks, notifications and read grants, and the
automation's run traces, outbox and schedule ticks.

Usernames are the key people are referred by everywhere (user fields store them), so
`fw_users.username` is unique and the target of foreign keys. `fw_memberships` holds each
user's main team. Timestamps are aware (stored in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine.storage.column_types import AwareDateTime
from engine.storage.naming import system_table_name
from engine.storage.shapes import USERNAME_LENGTH

__all__ = ["SYSTEM_TABLE_NAMES", "SystemTables", "build_system_tables"]

APP_LENGTH = 48
NAME_LENGTH = 200


def _username(name: str, *extra: Any, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(USERNAME_LENGTH), *extra, **kw)


def _users_ref() -> sa.ForeignKey:
    return sa.ForeignKey(f"{system_table_name('users')}.username")


@dataclass(frozen=True)
class SystemTables:
    """The `fw_*` tables of one MetaData."""

    users: sa.Table
    teams: sa.Table
    memberships: sa.Table
    user_roles: sa.Table
    tokens: sa.Table
    history: sa.Table
    sequences: sa.Table
    files: sa.Table
    schema_state: sa.Table
    approval_steps: sa.Table
    approval_tasks: sa.Table
    notifications: sa.Table
    record_grants: sa.Table
    automation_runs: sa.Table
    outbox: sa.Table
    schedule_ticks: sa.Table

    def all(self) -> tuple[sa.Table, ...]:
        """Every system table, parents before the tables that refer to them."""
        return (
            self.users,
            self.teams,
            self.memberships,
            self.user_roles,
            self.tokens,
            self.history,
            self.sequences,
            self.files,
            self.schema_state,
            self.approval_steps,
            self.approval_tasks,
            self.notifications,
            self.record_grants,
            self.automation_runs,
            self.outbox,
            self.schedule_ticks,
        )


def _people(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    users = sa.Table(
        system_table_name("users"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        _username("username", nullable=False, unique=True),
        sa.Column("display_name", sa.String(NAME_LENGTH)),
        sa.Column("email", sa.String(254)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("locale", sa.String(16)),
        sa.Column("active", sa.Boolean, nullable=False, default=True),
        sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
        sa.Column("created_at", AwareDateTime()),
    )
    teams = sa.Table(
        system_table_name("teams"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey(f"{system_table_name('teams')}.id")),
        _username("manager", _users_ref()),
        sa.Index("ix_fw_teams__parent_id", "parent_id"),
    )
    memberships = sa.Table(
        system_table_name("memberships"),
        metadata,
        _username("username", _users_ref(), primary_key=True),
        sa.Column(
            "team_id",
            sa.Integer,
            sa.ForeignKey(f"{system_table_name('teams')}.id"),
            nullable=False,
        ),
        sa.Index("ix_fw_memberships__team_id", "team_id"),
    )
    return users, teams, memberships


def _access(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    user_roles = sa.Table(
        system_table_name("user_roles"),
        metadata,
        sa.Column("app", sa.String(APP_LENGTH), primary_key=True),
        _username("username", _users_ref(), primary_key=True),
        sa.Column("role", sa.String(APP_LENGTH), primary_key=True),
    )
    tokens = sa.Table(
        system_table_name("tokens"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        # Only the SHA-256 (hex) of a token is stored.
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _username("username", _users_ref(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("last_used_at", AwareDateTime()),
        sa.Column("revoked_at", AwareDateTime()),
    )
    return user_roles, tokens


def _records(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    history = sa.Table(
        system_table_name("history"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app", sa.String(APP_LENGTH), nullable=False),
        sa.Column("entity", sa.String(APP_LENGTH), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        _username("by"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("changes", sa.JSON),
        sa.Column("comment", sa.Text),
        # Workflow entries: the action, the step, who it went to (JSON object).
        sa.Column("details", sa.JSON),
        sa.Index("ix_fw_history__record", "app", "entity", "record_id"),
    )
    sequences = sa.Table(
        system_table_name("sequences"),
        metadata,
        sa.Column("app", sa.String(APP_LENGTH), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    files = sa.Table(
        system_table_name("files"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("storage_key", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mime", sa.String(127)),
        sa.Column("app", sa.String(APP_LENGTH), nullable=False),
        sa.Column("entity", sa.String(APP_LENGTH), nullable=False),
        sa.Column("record_id", sa.Integer),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("created_at", AwareDateTime()),
        _username("created_by"),
        sa.Index("ix_fw_files__record", "app", "entity", "record_id", "field"),
    )
    return history, sequences, files


def build_system_tables(metadata: sa.MetaData) -> SystemTables:
    """The `fw_*` tables in `metadata` (reused when `metadata` already has them)."""
    if system_table_name("users") in metadata.tables:
        return _existing(metadata)
    users, teams, memberships = _people(metadata)
    user_roles, tokens = _access(metadata)
    history, sequences, files = _records(metadata)
    schema_state = sa.Table(
        system_table_name("schema_state"),
        metadata,
        sa.Column("app", sa.String(APP_LENGTH), primary_key=True),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("applied_at", AwareDateTime(), nullable=False),
    )
    steps, tasks, notifications, grants = _workflow(metadata)
    runs, outbox, ticks = _automation(metadata)
    return SystemTables(
        users, teams, memberships, user_roles, tokens, history, sequences, files, schema_state,
        steps, tasks, notifications, grants, runs, outbox, ticks,
    )  # fmt: skip


def _workflow(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    """Approval steps (one row each time a record enters an approval state), their tasks
    (one per approver), notifications (inbox items: CC, reminders, outcomes) and read grants
    (approvers and CC recipients may read the record whatever their role's scope)."""
    steps = sa.Table(
        system_table_name("approval_steps"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app", sa.String(APP_LENGTH), nullable=False),
        sa.Column("entity", sa.String(APP_LENGTH), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        # A run starts when a record leaves the initial state; skips look within one run.
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("state", sa.String(100), nullable=False),
        sa.Column("from_state", sa.String(100)),
        _username("submitter"),
        sa.Column("entered_at", AwareDateTime(), nullable=False),
        sa.Column("due_at", AwareDateTime()),
        sa.Column("overdue_done_at", AwareDateTime()),
        # open | approved | rejected | sent_back | recalled | skipped | left
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", AwareDateTime()),
        sa.Index("ix_fw_approval_steps__record", "app", "entity", "record_id"),
        sa.Index("ix_fw_approval_steps__due", "status", "due_at"),
    )
    tasks = sa.Table(
        system_table_name("approval_tasks"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "step_id",
            sa.Integer,
            sa.ForeignKey(f"{system_table_name('approval_steps')}.id"),
            nullable=False,
        ),
        _username("assignee", _users_ref(), nullable=False),
        # Lower sequence numbers act first (manager chains, approvers added before oneself).
        sa.Column("seq", sa.Integer, nullable=False),
        # approver | transfer | add_before | add_after
        sa.Column("origin", sa.String(16), nullable=False),
        _username("added_by"),
        # pending | waiting | approved | rejected | sent_back | transferred | cancelled
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("acted_at", AwareDateTime()),
        sa.Column("comment", sa.Text),
        sa.Index("ix_fw_approval_tasks__step", "step_id"),
        sa.Index("ix_fw_approval_tasks__assignee", "assignee", "status"),
    )
    notifications = sa.Table(
        system_table_name("notifications"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app", sa.String(APP_LENGTH), nullable=False),
        _username("username", _users_ref(), nullable=False),
        sa.Column("entity", sa.String(APP_LENGTH)),
        sa.Column("record_id", sa.Integer),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(100)),
        _username("by"),
        sa.Column("comment", sa.Text),
        # An automation's `notify`: its rendered subject and text (kind `automation`).
        sa.Column("title", sa.Text),
        sa.Column("body", sa.Text),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("read_at", AwareDateTime()),
        sa.Index("ix_fw_notifications__user", "username", "read_at"),
    )
    grants = sa.Table(
        system_table_name("record_grants"),
        metadata,
        sa.Column("app", sa.String(APP_LENGTH), primary_key=True),
        sa.Column("entity", sa.String(APP_LENGTH), primary_key=True),
        sa.Column("record_id", sa.Integer, primary_key=True),
        _username("username", _users_ref(), primary_key=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Index("ix_fw_record_grants__user", "username", "app", "entity"),
    )
    return steps, tasks, notifications, grants


def _automation(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    """Run traces (one row per automation run: trigger, conditions, actions, error), the
    transactional outbox (messages leaving the process, delivered by workers) and schedule
    ticks (one row per job and tick: whoever inserts it runs the tick)."""
    runs = sa.Table(
        system_table_name("automation_runs"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app", sa.String(APP_LENGTH), nullable=False),
        sa.Column("automation", sa.String(APP_LENGTH), nullable=False),
        sa.Column("trigger_index", sa.Integer),
        sa.Column("trigger_type", sa.String(48), nullable=False),
        sa.Column("entity", sa.String(APP_LENGTH)),
        sa.Column("record_id", sa.Integer),
        # done | skipped (a condition was false) | failed | stopped (loop, depth, mode)
        sa.Column("status", sa.String(16), nullable=False),
        # The trigger as it fired: event kind, changed fields, old values, tick, …
        sa.Column("event", sa.JSON, nullable=False),
        # [{"expr", "file", "pointer", "value"}] and [{"type", "file", "pointer", "result"}]
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("error_at", sa.String(255)),  # file + JSON pointer of the failing node
        sa.Column("depth", sa.Integer, nullable=False, default=0),
        _username("actor"),
        sa.Column("started_at", AwareDateTime(), nullable=False),
        sa.Column("finished_at", AwareDateTime()),
        sa.Column("replay_of", sa.Integer),
        # Firing once: a timer or schedule run claims its key (unique), an event run keys
        # on the record's version.
        sa.Column("dedupe_key", sa.String(255), unique=True),
        sa.Index("ix_fw_automation_runs__app", "app", "automation", "id"),
        sa.Index("ix_fw_automation_runs__status", "app", "status", "id"),
        sa.Index("ix_fw_automation_runs__record", "app", "entity", "record_id"),
    )
    outbox = sa.Table(
        system_table_name("outbox"),
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app", sa.String(APP_LENGTH), nullable=False),
        sa.Column("channel", sa.String(APP_LENGTH), nullable=False),
        # Sent with every attempt (`Idempotency-Key`), so a receiver can drop repeats.
        sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
        sa.Column("payload", sa.JSON, nullable=False),
        # pending | sending | delivered | dead
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", AwareDateTime(), nullable=False),
        sa.Column("locked_by", sa.String(64)),
        sa.Column("locked_until", AwareDateTime()),
        sa.Column("last_error", sa.Text),
        sa.Column("run_id", sa.Integer),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("delivered_at", AwareDateTime()),
        sa.Index("ix_fw_outbox__due", "status", "next_attempt_at"),
    )
    ticks = sa.Table(
        system_table_name("schedule_ticks"),
        metadata,
        sa.Column("app", sa.String(APP_LENGTH), primary_key=True),
        # `schedule:<automation>:<trigger>`, `date:<automation>:<trigger>`, `approvals`
        sa.Column("job", sa.String(160), primary_key=True),
        sa.Column("tick_at", AwareDateTime(), primary_key=True),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", AwareDateTime(), nullable=False),
    )
    return runs, outbox, ticks


def _existing(metadata: sa.MetaData) -> SystemTables:
    tables = {name: metadata.tables[system_table_name(name)] for name in _NAMES}
    return SystemTables(**tables)


_NAMES = (
    "users",
    "teams",
    "memberships",
    "user_roles",
    "tokens",
    "history",
    "sequences",
    "files",
    "schema_state",
    "approval_steps",
    "approval_tasks",
    "notifications",
    "record_grants",
    "automation_runs",
    "outbox",
    "schedule_ticks",
)

SYSTEM_TABLE_NAMES = tuple(system_table_name(name) for name in _NAMES)
"""The names of every system table."""
