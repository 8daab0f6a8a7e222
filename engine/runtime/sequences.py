"""Sequence numbers (`HT-{yyyy}-{0000}`): the counter lives in `fw_sequences`, one row per
(app, field, period), and is incremented inside the creating transaction with a single
`INSERT … ON CONFLICT DO UPDATE … RETURNING` — atomic on both databases (the counter row
stays locked until the transaction ends), so two concurrent creates never get the same
number, and a create that rolls back gives its number back.

Tokens: `{yyyy}`, `{yy}`, `{mm}`, `{dd}` (the creation date in the app's time zone) and a
run of zeros `{0000}` (the counter, zero-padded to that width, wider when it outgrows it).
`reset: yearly` / `monthly` starts the counter again each year / month; `never` (the
default) does not.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from engine.spec.model import FieldSpec
from engine.storage.naming import sequence_key

__all__ = ["bump_counter", "format_sequence", "next_sequence", "sequence_period"]

_TOKEN = re.compile(r"\{(yyyy|yy|mm|dd|0+)\}")


def sequence_period(field: FieldSpec, day: date) -> str:
    """The counter's period for `day`: `2026` (yearly), `2026-03` (monthly) or `""`."""
    reset = field.option("reset", "never")
    if reset == "yearly":
        return f"{day.year:04d}"
    if reset == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    return ""


def format_sequence(pattern: str, day: date, number: int) -> str:
    """The pattern with its date tokens and counter filled in."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "yyyy":
            return f"{day.year:04d}"
        if token == "yy":
            return f"{day.year % 100:02d}"
        if token == "mm":
            return f"{day.month:02d}"
        if token == "dd":
            return f"{day.day:02d}"
        return str(number).zfill(len(token))

    return _TOKEN.sub(fill, pattern)


def next_sequence(
    connection: Connection,
    sequences: sa.Table,
    app: str,
    entity: str,
    field: FieldSpec,
    day: date,
) -> str:
    """Take the next number of the field's counter (in the caller's transaction)."""
    key = sequence_key(entity, field.name)
    number = bump_counter(connection, sequences, app, key, sequence_period(field, day))
    return format_sequence(str(field.option("pattern")), day, number)


def bump_counter(
    connection: Connection, sequences: sa.Table, app: str, key: str, period: str
) -> int:
    """Add one to the counter (app, key, period) and return it (1 the first time), atomically
    in the caller's transaction — also the round-robin turns of automations."""
    row = {"app": app, "key": key, "period": period, "value": 1}
    dialect = connection.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement: Any = insert(sequences).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=[sequences.c.app, sequences.c.key, sequences.c.period],
        set_={"value": sequences.c.value + 1},
    ).returning(sequences.c.value)
    return int(connection.execute(statement).scalar_one())
