"""Names of everything the storage layer creates: tables, indexes, columns set aside by a
migration, and the keys other tables use to point at an entity's data.

Tables are namespaced by app (`<app>__<entity>`, children `<app>__<entity>__<field>`);
system tables (`fw_*`) are shared by every app. PostgreSQL cuts identifiers at 63
characters, so a longer name is shortened the same way on every database: the first 54
characters, `_` and 8 hex digits of its SHA-1, which keeps names unique and stable.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

__all__ = [
    "DROPPED_PREFIX",
    "MAX_IDENTIFIER",
    "aside_name",
    "child_table_name",
    "entity_table_name",
    "fit_identifier",
    "index_name",
    "is_aside",
    "sequence_key",
    "stamp",
    "system_table_name",
]

MAX_IDENTIFIER = 63
"""PostgreSQL's identifier limit (NAMEDATALEN - 1); SQLite has none, but names agree."""

DROPPED_PREFIX = "_dropped_"
"""Columns and tables a migration set aside instead of dropping start with this."""

_HASHED_KEEP = MAX_IDENTIFIER - 9


def fit_identifier(name: str) -> str:
    """`name`, shortened with a hash suffix when longer than PostgreSQL allows."""
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[:_HASHED_KEEP]}_{digest}"


def entity_table_name(app: str, entity: str) -> str:
    """The table of an entity: `<app>__<entity>`."""
    return fit_identifier(f"{app}__{entity}")


def child_table_name(app: str, entity: str, field: str, subfield: str | None = None) -> str:
    """The child table of a subform or multi_select field: `<app>__<entity>__<field>`
    (a multi_select inside a subform adds `__<subfield>`)."""
    name = f"{app}__{entity}__{field}"
    return fit_identifier(name if subfield is None else f"{name}__{subfield}")


def system_table_name(name: str) -> str:
    """A system table shared by every app: `fw_<name>`."""
    return f"fw_{name}"


def index_name(table: str, columns: tuple[str, ...] | list[str], *, unique: bool) -> str:
    """`ix_<table>__<col>__<col>` (`ux_` when unique); the columns are part of the name so
    that a changed index definition gets a new name."""
    prefix = "ux" if unique else "ix"
    return fit_identifier(f"{prefix}_{table}__{'__'.join(columns)}")


def stamp(moment: datetime) -> str:
    """A moment as the UTC `yyyymmddhhmmss` used in set-aside names."""
    if moment.tzinfo is None:
        raise ValueError("stamp() needs an aware datetime")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def aside_name(name: str, when: str) -> str:
    """Where a dropped column or table is kept: `_dropped_<name>_<yyyymmddhhmmss>`."""
    return fit_identifier(f"{DROPPED_PREFIX}{name}_{when}")


def is_aside(name: str) -> bool:
    """True for a column or table an earlier migration set aside."""
    return name.startswith(DROPPED_PREFIX)


def sequence_key(entity: str, field: str) -> str:
    """The `fw_sequences.key` of a sequence field (migrations rewrite it on renames)."""
    return f"{entity}.{field}"
