"""The system tables (`fw_*`), shared by every app in a database: people and teams, roles,
API tokens, history, sequence counters, files, and the schema snapshot of each app.

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
    return SystemTables(
        users, teams, memberships, user_roles, tokens, history, sequences, files, schema_state
    )


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
)

SYSTEM_TABLE_NAMES = tuple(system_table_name(name) for name in _NAMES)
"""The names of every system table."""
