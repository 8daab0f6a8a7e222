"""Roll-up fields kept current: a stored aggregate (sum, count, avg, min, max) of the source
records that point at a record (`link:`) or that a rule pairs with it (`match:`, bare names
the source's fields, `this.` the record holding the roll-up), optionally only those for
which `where` holds.

When the record service writes a source record, `Rollups.refresh` finds the records whose
roll-ups the write can change — by the link's old and new values, or by the `match` rule
run in SQL with the source's old and new values as constants — and recomputes only those,
with one aggregate query per roll-up (a correlated scalar subquery per record). A value that
changed is written through the record service as a trusted system write that may set that
roll-up: formulas reading it (attainment = actual / amount) are recomputed, the record's
history says which roll-up moved, and its `record_updated` and `threshold` triggers fire.
A write that touches none of the fields a roll-up reads costs it nothing.

`recompute` does the same for every record of an entity (`run.py recompute`, and the demo
seed after writing its records).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.expr import CheckedExpr, ValueType, check_expression
from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.inputs import same_value
from engine.runtime.link_filters import THIS, ThisScope
from engine.runtime.preparation import WriteOptions
from engine.spec.expression_scopes import ScopeBuilder, merge_scopes
from engine.spec.model import FieldSpec
from engine.spec.model_entity import RollupSpec
from engine.storage.sql_expr import compile_sql, compile_sql_condition
from engine.storage.sql_functions import ExactNumber, sql_type
from engine.storage.sql_scope import EntitySqlScope

if TYPE_CHECKING:
    from engine.runtime.records import RecordService

__all__ = ["CompiledRollup", "Rollups"]

Clause = ColumnElement[Any]
_BATCH = 500
"""Records recomputed per aggregate query."""


@dataclass(frozen=True)
class CompiledRollup:
    """One roll-up field: where it lives, what it aggregates, and which source fields it
    reads (a write changing none of them leaves it alone)."""

    entity: str
    field: str
    spec: RollupSpec
    source: str
    match: CheckedExpr | None
    where: CheckedExpr | None
    value: CheckedExpr | None
    reads: frozenset[str]  # source fields it reads
    holder_reads: frozenset[str]  # the holder's own fields its `match` reads (`this.x`)


class Rollups:
    """The app's roll-up fields, by source entity."""

    def __init__(self, runtime: AppRuntime) -> None:
        self.runtime = runtime
        self.by_source: dict[str, list[CompiledRollup]] = {}
        self.by_entity: dict[str, list[CompiledRollup]] = {}
        self._queries: dict[tuple[str, str], sa.Select[Any]] = {}
        scopes = ScopeBuilder(runtime.app, runtime.registry)
        for entity in runtime.app.entities.values():
            for field in entity.fields.values():
                if field.rollup is not None and field.rollup.source is not None:
                    compiled = _compile(scopes, runtime, entity.name, field, field.rollup)
                    self.by_source.setdefault(compiled.source, []).append(compiled)
                    self.by_entity.setdefault(entity.name, []).append(compiled)

    def watches(self, entity: str) -> bool:
        """True when records of `entity` feed a roll-up."""
        return entity in self.by_source

    # -- after a write ----------------------------------------------------------------------

    def refresh(
        self,
        connection: Connection,
        service: RecordService,
        source: str,
        changes: Sequence[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
        options: WriteOptions,
    ) -> None:
        """Bring up to date the roll-ups the writes of `source` records can change; each
        change is (old values or None when created, new values or None when deleted)."""
        pending: dict[str, dict[int, dict[str, Any]]] = {}
        for rollup in self.by_source.get(source, ()):
            relevant = [(old, new) for old, new in changes if _touches(rollup, old, new)]
            if not relevant:
                continue
            ids = self._affected(connection, rollup, relevant)
            if ids:
                self._collect(connection, rollup, sorted(ids), pending)
        self._derive(connection, service, pending, options)

    def holds(self, entity: str) -> bool:
        """True when records of `entity` hold roll-ups."""
        return entity in self.by_entity

    def refresh_holders(
        self,
        connection: Connection,
        service: RecordService,
        entity: str,
        ids: Sequence[int],
        options: WriteOptions,
        changed: frozenset[str] | None = None,
        *,
        created: bool = False,
    ) -> None:
        """Compute the roll-ups of holder records themselves: new or restored ones (`changed`
        None: all their roll-ups), or ones whose own fields a `match` reads changed (a target
        moved to another period or person)."""
        pending: dict[str, dict[int, dict[str, Any]]] = {}
        for rollup in self.by_entity.get(entity, ()):
            if changed is None or rollup.holder_reads & changed:
                self._collect(connection, rollup, ids, pending)
        self._derive(connection, service, pending, options, created=created)

    def _collect(
        self,
        connection: Connection,
        rollup: CompiledRollup,
        ids: Sequence[int],
        pending: dict[str, dict[int, dict[str, Any]]],
    ) -> None:
        self._lock(connection, rollup.entity, ids)
        values = self.values_of(connection, rollup, ids)
        held = pending.setdefault(rollup.entity, {})
        for record_id, value in values.items():
            held.setdefault(record_id, {})[rollup.field] = value

    def _lock(self, connection: Connection, entity: str, ids: Sequence[int]) -> None:
        """PostgreSQL: lock the holders (in id order, `FOR NO KEY UPDATE`) before reading
        their aggregates, so two transactions feeding one holder take turns — the second
        computes after the first committed and sees its sources (no lost update). SQLite
        has one writer anyway."""
        if connection.dialect.name != "postgresql" or not ids:
            return
        table = self.runtime.tables.entity(entity)
        query = (
            sa.select(table.c.id)
            .where(table.c.id.in_(sorted(ids)))
            .order_by(table.c.id)
            # NO KEY UPDATE: a writer inserting a source row holds KEY SHARE on the holder
            # (its foreign key); FOR UPDATE would wait for that and deadlock two writers
            .with_for_update(key_share=True)
        )
        connection.execute(query).all()

    @staticmethod
    def _derive(
        connection: Connection,
        service: RecordService,
        pending: Mapping[str, Mapping[int, Mapping[str, Any]]],
        options: WriteOptions,
        *,
        created: bool = False,
    ) -> int:
        """Write what changed, one derived write per holder (all its roll-ups at once)."""
        return sum(
            service.derive_in(connection, entity, updates, options, created=created)
            for entity, updates in pending.items()
        )

    def recompute(
        self, connection: Connection, service: RecordService, entity: str | None = None
    ) -> int:
        """Recompute every roll-up (of `entity`, or of all entities); how many records
        changed."""
        changed = 0
        for name, rollups in self.by_entity.items():
            if entity is not None and name != entity:
                continue
            table = self.runtime.tables.entity(name)
            ids = sorted(
                int(found)
                for found in connection.scalars(
                    sa.select(table.c.id).where(table.c.deleted_at.is_(None))
                )
            )
            pending: dict[str, dict[int, dict[str, Any]]] = {}
            for rollup in rollups:
                self._collect(connection, rollup, ids, pending)
            changed += self._derive(connection, service, pending, WriteOptions(trusted=True))
        return changed

    # -- which records, and their new values ------------------------------------------------

    def _affected(
        self,
        connection: Connection,
        rollup: CompiledRollup,
        changes: Sequence[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
    ) -> set[int]:
        """The records whose roll-up these source values (before and after) belong to."""
        versions = [values for pair in changes for values in pair if values is not None]
        if rollup.spec.link is not None:
            return {int(v[rollup.spec.link]) for v in versions if v.get(rollup.spec.link)}
        assert rollup.match is not None
        tables = self.runtime.tables
        holder = EntitySqlScope(tables, rollup.entity)
        context = self.runtime.contexts.for_actor(Actor.system())
        clauses = [
            compile_sql_condition(
                rollup.match, _MirrorScope(holder, tables, rollup.source, values), context
            )
            for values in versions
        ]
        table = tables.entity(rollup.entity)
        query = sa.select(table.c.id).where(table.c.deleted_at.is_(None), sa.or_(*clauses))
        return {int(found) for found in connection.scalars(query)}

    def values_of(
        self, connection: Connection, rollup: CompiledRollup, ids: Sequence[int]
    ) -> dict[int, Any]:
        """The roll-up's value for each record, by one aggregate query per batch."""
        query = self._aggregate_query(rollup)
        found: dict[int, Any] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            for record_id, value in connection.execute(query, {"ids": chunk}):
                found[int(record_id)] = self._typed(rollup, value)
        return found

    def _aggregate_query(self, rollup: CompiledRollup) -> sa.Select[Any]:
        """`SELECT holder.id, (aggregate over the matching sources) … WHERE holder.id IN
        :ids`, built once per roll-up (its clauses depend on no value of a run)."""
        key = (rollup.entity, rollup.field)
        kept = self._queries.get(key)
        if kept is not None:
            return kept
        tables = self.runtime.tables
        holder = tables.entity(rollup.entity).alias("holder")
        source = tables.entity(rollup.source).alias("source")
        scope = _PairScope(
            EntitySqlScope(tables, rollup.source, source),
            EntitySqlScope(tables, rollup.entity, holder),
        )
        context = self.runtime.contexts.for_actor(Actor.system())
        conditions: list[Clause] = [source.c.deleted_at.is_(None)]
        if rollup.spec.link is not None:
            conditions.append(source.c[rollup.spec.link] == holder.c.id)
        else:
            assert rollup.match is not None
            conditions.append(compile_sql_condition(rollup.match, scope, context))
        if rollup.where is not None:
            conditions.append(compile_sql_condition(rollup.where, scope, context))
        aggregate = _aggregate(rollup, scope, context)
        subquery = sa.select(aggregate).where(*conditions).scalar_subquery()
        query: sa.Select[Any] = sa.select(
            holder.c.id, sa.type_coerce(subquery, _read_as(rollup))
        ).where(holder.c.id.in_(sa.bindparam("ids", expanding=True)))
        if not _reads_the_clock(rollup):  # today() / now() / me() are constants of a run
            self._queries[key] = query
        return query

    def _typed(self, rollup: CompiledRollup, value: Any) -> Any:
        """The aggregate as the field stores it: 0 for a sum or count over nothing, a
        datetime's local day for a `date` result, exact numbers."""
        if value is None:
            return 0 if rollup.spec.aggregate in ("sum", "count") else None
        result = self.runtime.app.entities[rollup.entity].fields[rollup.field].result_type
        if isinstance(value, datetime) and result == "date":
            return value.astimezone(self.runtime.contexts.timezone).date()
        if isinstance(value, float):
            value = Decimal(repr(value))
        if isinstance(value, Decimal):
            column = self.runtime.tables.entity(rollup.entity).c[rollup.field].type
            places = getattr(column, "digits", None)
            if places is None:
                places = getattr(column, "scale", None)
            if isinstance(places, int):  # an average to the stored precision (money: cents)
                return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return value


def _reads_the_clock(rollup: CompiledRollup) -> bool:
    """True when an expression of the roll-up calls a function whose value depends on the
    moment or the user (compiled as a constant, so the query cannot be kept)."""
    texts = (found.text for found in (rollup.match, rollup.where, rollup.value) if found)
    return any(name in text for text in texts for name in ("today(", "now(", "me("))


def _touches(
    rollup: CompiledRollup, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> bool:
    """True when the change can move the roll-up: a record came or went, or a field the
    roll-up reads changed."""
    if old is None or new is None:
        return True
    return any(not same_value(old.get(name), new.get(name)) for name in rollup.reads)


def _aggregate(rollup: CompiledRollup, scope: _PairScope, context: Any) -> Clause:
    kind = rollup.spec.aggregate
    if kind == "count" or rollup.value is None:
        return sa.func.count()
    value = compile_sql(rollup.value, scope, context)
    if kind == "sum":
        return sa.func.sum(value)
    if kind == "avg":
        return sa.func.avg(value)
    return sa.func.min(value) if kind == "min" else sa.func.max(value)


def _read_as(rollup: CompiledRollup) -> Any:
    """The SQL type the aggregate is read as: a count is an integer, an average an exact
    number, a sum / min / max the type of the value expression (money in yuan, exact
    numbers, UTC datetimes, as every compiled expression)."""
    if rollup.spec.aggregate == "count" or rollup.spec.field is None:
        return sa.Integer()
    if rollup.spec.aggregate == "avg" or rollup.value is None:
        return ExactNumber()
    return sql_type(rollup.value.type)


class _PairScope:
    """Bare names are the source's columns, `this.` the holder's (the correlated record)."""

    def __init__(self, source: EntitySqlScope, holder: EntitySqlScope) -> None:
        self.source = source
        self.holder = holder

    def column(self, path: tuple[str, ...]) -> Clause:
        if path[0] == THIS:
            if len(path) == 1:
                return self.holder.column(("id",))
            return self.holder.column(path[1:])
        return self.source.column(path)


class _MirrorScope:
    """`this.` is the holder's columns, bare names the given source values (constants)."""

    def __init__(
        self, holder: EntitySqlScope, tables: Any, source: str, values: Mapping[str, Any]
    ) -> None:
        self.holder = holder
        self.values = ThisScope(holder, tables, source, values)

    def column(self, path: tuple[str, ...]) -> Clause:
        if path[0] == THIS:
            if len(path) == 1:
                return self.holder.column(("id",))
            return self.holder.column(path[1:])
        return self.values.column((THIS, *path))


def _compile(
    scopes: ScopeBuilder,
    runtime: AppRuntime,
    entity: str,
    field: FieldSpec,
    spec: RollupSpec,
) -> CompiledRollup:
    source = spec.source
    assert source is not None
    this = scopes.record(THIS, entity, "the record holding the roll-up")
    scope = merge_scopes(scopes.scope_of(source), {THIS: this})
    functions = runtime.registry.functions

    def checked(text: str, expect: ValueType | None) -> CheckedExpr:
        found = check_expression(text, scope, functions, expect=expect, sql=True, entity=source)
        if found.problems:
            problems = "; ".join(str(problem) for problem in found.problems)
            raise ValueError(f"roll-up {entity}.{field.name}: {problems}")
        return found

    match = checked(spec.match.text, ValueType.BOOLEAN) if spec.match is not None else None
    where = checked(spec.where.text, ValueType.BOOLEAN) if spec.where is not None else None
    value = checked(spec.field, None) if spec.field is not None else None
    reads: set[str] = set()
    for found in (match, where, value):
        if found is not None:
            reads.update(path[0] for path in found.names_used if path and path[0] != THIS)
    if spec.link is not None:
        reads.add(spec.link)
    holder_reads = {
        path[1]
        for found in (match, where, value)
        if found is not None
        for path in found.names_used
        if len(path) > 1 and path[0] == THIS
    }
    return CompiledRollup(
        entity, field.name, spec, source, match, where, value, frozenset(reads),
        frozenset(holder_reads),
    )  # fmt: skip


def holders(rollups: Iterable[CompiledRollup]) -> frozenset[str]:
    """The entities holding these roll-ups."""
    return frozenset(rollup.entity for rollup in rollups)
