"""The holders a write of source records moves, read in one statement: their rows as they
are — the stored values a `sum` or `count` is moved from, the old values automations see —
and, for the other roll-ups on SQLite, their new aggregates beside them.

`SELECT holder.*, … FROM holder WHERE live AND (<match with the source's old values> OR
<match with its new values> OR holder.id IN (<linked ids>))`: the `match` rule runs in SQL
with the source's values as bind parameters, so the statement is built once per set of
roll-ups and shape of values (a NULL, a date, a number …) and reused by every write. When
one statement serves several roll-ups (or several sets of values), a column per `match`
clause tells which of them found each holder.

On PostgreSQL the statement locks the holders (`FOR NO KEY UPDATE`, in id order) and
reads no aggregate: a statement sees what was committed when it started, so an aggregate
read while waiting for a lock would miss the other writer's source (a lost update); the
aggregates are read once the locks are held, and a stored value moved by difference is
read under the lock. SQLite has one writer at a time and needs no lock.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.expr import EvalContext
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.rollup_changes import Touched
from engine.runtime.rollup_compile import (
    BoundMirrorScope,
    MirrorScope,
    aggregate_value,
    value_shape,
)
from engine.storage.sql_expr import compile_sql_condition
from engine.storage.sql_scope import EntitySqlScope

__all__ = ["HolderRead", "HolderReads"]

Clause = ColumnElement[Any]
_MAX_KEPT = 256
"""Statements kept (one per set of roll-ups and shape of values); past this, built per call."""
_KEPT_VERSIONS = 4
"""A statement for more sets of source values than this (a bulk write) is not kept."""


@dataclass(frozen=True)
class HolderRead:
    """The holders found: their rows (by id) and, for each touched roll-up in order, which
    of its versions each holder belongs to, and — when read in the same statement (SQLite,
    roll-ups not moved by difference) — the new values (raw)."""

    rows: dict[int, dict[str, Any]]
    hits: tuple[dict[int, tuple[int, ...]], ...]
    values: tuple[dict[int, Any] | None, ...]


@dataclass(frozen=True)
class _Statement:
    query: sa.Select[Any]
    hits: tuple[tuple[str, ...] | None, ...]  # per roll-up: a column per version, or None
    values: tuple[str | None, ...]  # per roll-up: its value column, when read here


class HolderReads:
    """Builds (once per shape) and runs the holder statement of a source write."""

    def __init__(self, runtime: AppRuntime) -> None:
        self.runtime = runtime
        self._kept: dict[Hashable, _Statement] = {}

    @property
    def kept(self) -> int:
        """How many statements are kept (one per set of roll-ups and shape of values)."""
        return len(self._kept)

    def read(
        self,
        connection: Connection,
        entity: str,
        touched: Sequence[Touched],
        context: EvalContext,
    ) -> HolderRead:
        """Find (and on PostgreSQL lock) the live holders of `entity` that the touched
        roll-ups' source values belong to; on SQLite with their new aggregates."""
        locking = connection.dialect.name == "postgresql"
        params: dict[str, Any] = {}
        shapes = [_bind(item, f"r{index}_", params) for index, item in enumerate(touched)]
        kinds = tuple((t.rollup.field, t.deltas is None, len(t.versions)) for t in touched)
        key = (entity, locking, kinds, tuple(shapes))
        cacheable = (
            all(shape is not None for shape in shapes)
            and all(len(t.versions) <= _KEPT_VERSIONS for t in touched)
            and not any(t.rollup.clocked for t in touched)
        )
        statement = self._kept.get(key) if cacheable else None
        if statement is None:
            statement = self._build(entity, touched, shapes, context, locking=locking)
            if cacheable and len(self._kept) < _MAX_KEPT:
                self._kept[key] = statement
        linked = [_linked(item) for item in touched]
        rows: dict[int, dict[str, Any]] = {}
        hits: list[dict[int, tuple[int, ...]]] = [{} for _ in touched]
        values: list[dict[int, Any] | None] = [
            {} if label is not None else None for label in statement.values
        ]
        result = connection.execute(statement.query, params)
        keys = tuple(result.keys())
        for found_row in result:
            row = dict(zip(keys, found_row, strict=True))  # plain dicts: read field by field
            record_id = int(row["id"])
            rows[record_id] = row
            for index, columns in enumerate(statement.hits):
                link = linked[index]
                if link is not None:
                    found = link.get(record_id, ())
                elif columns is None:
                    found = (0,)
                else:
                    found = tuple(i for i, column in enumerate(columns) if row[column])
                if found:
                    hits[index][record_id] = found
                    label, held = statement.values[index], values[index]
                    if label is not None and held is not None:
                        held[record_id] = row[label]
        return HolderRead(rows, tuple(hits), tuple(values))

    def _build(
        self,
        entity: str,
        touched: Sequence[Touched],
        shapes: Sequence[Hashable],
        context: EvalContext,
        *,
        locking: bool,
    ) -> _Statement:
        tables = self.runtime.tables
        holder = tables.entity(entity).alias("holder")
        scope = EntitySqlScope(tables, entity, holder)
        conditions = [
            self._conditions(item, shape, f"r{index}_", holder, scope, context)
            for index, (item, shape) in enumerate(zip(touched, shapes, strict=True))
        ]
        single = sum(len(found) for found in conditions) == 1
        columns: list[Any] = [holder]
        hits: list[tuple[str, ...] | None] = []
        labels: list[str | None] = []
        for index, (item, found) in enumerate(zip(touched, conditions, strict=True)):
            if single or item.rollup.spec.link is not None:
                hits.append(None)
            else:
                names = tuple(f"hit_{index}_{v}" for v in range(len(found)))
                pairs = zip(found, names, strict=True)
                columns += [sa.case((c, True), else_=False).label(n) for c, n in pairs]
                hits.append(names)
            if locking or item.deltas is not None:
                labels.append(None)
                continue
            value = aggregate_value(self.runtime, item.rollup, holder, context)
            if not single:
                value = sa.case((sa.or_(*found), value))
            labels.append(f"value_{index}")
            columns.append(value.label(f"value_{index}"))
        every = [condition for found in conditions for condition in found]
        query = sa.select(*columns).where(holder.c.deleted_at.is_(None), sa.or_(*every))
        if locking:
            # NO KEY UPDATE: a writer inserting a source row holds KEY SHARE on the holder
            # (its foreign key); FOR UPDATE would wait for that and deadlock two writers
            query = query.order_by(holder.c.id).with_for_update(key_share=True)
        return _Statement(query, tuple(hits), tuple(labels))

    def _conditions(
        self,
        item: Touched,
        shape: Hashable,
        prefix: str,
        holder: sa.FromClause,
        scope: EntitySqlScope,
        context: EvalContext,
    ) -> list[Clause]:
        """The holders of one roll-up: its linked ids, or its `match` with each set of
        source values (bind parameters when `shape` is known, constants otherwise)."""
        rollup = item.rollup
        if rollup.spec.link is not None:
            return [holder.c.id.in_(sa.bindparam(f"{prefix}ids", expanding=True))]
        assert rollup.match is not None
        clauses = []
        for index, values in enumerate(item.versions):
            if shape is None:
                mirror: Any = MirrorScope(scope, self.runtime.tables, rollup.source, values)
            else:
                assert isinstance(shape, tuple)
                shapes = dict(zip(rollup.finds_by, shape[index], strict=True))
                mirror = BoundMirrorScope(scope, f"{prefix}v{index}_", shapes)
            clauses.append(compile_sql_condition(rollup.match, mirror, context))
        return clauses


def _linked(item: Touched) -> dict[int, tuple[int, ...]] | None:
    """For a `link` roll-up: the versions pointing at each holder id."""
    link = item.rollup.spec.link
    if link is None:
        return None
    found: dict[int, tuple[int, ...]] = {}
    for index, values in enumerate(item.versions):
        holder = int(values[link])
        found[holder] = (*found.get(holder, ()), index)
    return found


def _bind(item: Touched, prefix: str, params: dict[str, Any]) -> Hashable:
    """Add the bind parameters of one roll-up's holder lookup to `params`; its shape (a
    part of the statement's key), or None when it cannot be bound (built with constants)."""
    rollup = item.rollup
    if rollup.spec.link is not None:
        link = rollup.spec.link
        params[f"{prefix}ids"] = sorted({int(v[link]) for v in item.versions if v.get(link)})
        return "link"
    if not rollup.bindable:
        return None
    shapes: list[tuple[Hashable, ...]] = []
    found: dict[str, Any] = {}
    try:
        for index, values in enumerate(item.versions):
            shape: list[Hashable] = []
            for name in rollup.finds_by:
                kind, value = value_shape(values.get(name))
                shape.append(kind)
                if value is not None:
                    found[f"{prefix}v{index}_{name}"] = value
            shapes.append(tuple(shape))
    except LookupError:  # a list value: compiled with constants, which say why it fails
        return None
    params.update(found)
    return tuple(shapes)
