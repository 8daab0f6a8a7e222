"""Roll-up fields kept current: a stored aggregate (sum, count, avg, min, max) of the source
records that point at a record (`link:`) or that a rule pairs with it (`match:`, bare names
the source's fields, `this.` the record holding the roll-up), optionally only those for
which `where` holds.

When the record service writes a source record, `Rollups.refresh` works out what the write
does to each roll-up: nothing when it changed no field the roll-up reads, or when `where`
leaves the source out both before and after; otherwise the source's values before and after
that decide the holders and — for a `sum` or `count` whose sources Python can weigh — the
difference each makes. The holders are then
- moved in place (`SET won_amount = won_amount + :difference`, no read) when the roll-ups
  are `link` ones moved by difference on an entity with no formula, no automation watching
  its updates and no roll-up fed by them;
- otherwise read in one statement per holder entity (`engine.runtime.rollup_holders`: the
  `match` rules in SQL with the source's values as bind parameters, locked on PostgreSQL),
  moved by difference or aggregated again (a blank stored value, a difference not exact to
  the column's places, `avg` / `min` / `max`, a record that holds roll-ups of its own
  entity), and handed to `RecordService.derive_rows`: the formulas reading them are
  recomputed (attainment = actual / goal), the changed columns written with version + 1
  and no history entry, and their `record_updated` and `threshold` triggers fire.

`refresh_holders` aggregates the roll-ups of new or restored holders and of holders whose
own `match` fields changed; `recompute` aggregates every roll-up of an entity (`run.py
recompute`, and the demo seed after writing its records).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.automation import EventKind
from engine.expr import EvalContext
from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.preparation import WriteOptions
from engine.runtime.rollup_changes import Change, Touched, touched_by, written_ids
from engine.runtime.rollup_compile import (
    CompiledRollup,
    aggregate_value,
    compile_rollup,
    formula_reads,
)
from engine.runtime.rollup_holders import HolderReads
from engine.spec.expression_scopes import ScopeBuilder

if TYPE_CHECKING:
    from engine.runtime.records import RecordService

__all__ = ["CompiledRollup", "Rollups"]

_BATCH = 500
"""Records recomputed per aggregate query."""


class Rollups:
    """The app's roll-up fields, by source entity."""

    def __init__(self, runtime: AppRuntime) -> None:
        self.runtime = runtime
        self.by_source: dict[str, list[CompiledRollup]] = {}
        self.by_entity: dict[str, list[CompiledRollup]] = {}
        self._queries: dict[tuple[str, str], sa.Select[Any]] = {}
        self.holders = HolderReads(runtime)
        scopes = ScopeBuilder(runtime.app, runtime.registry)
        for entity in runtime.app.entities.values():
            for field in entity.fields.values():
                if field.rollup is not None and field.rollup.source is not None:
                    compiled = compile_rollup(scopes, runtime, entity.name, field, field.rollup)
                    self.by_source.setdefault(compiled.source, []).append(compiled)
                    self.by_entity.setdefault(entity.name, []).append(compiled)
        self._formula_reads = {e: formula_reads(scopes, runtime, e) for e in self.by_entity}
        self._formulas: dict[tuple[str, frozenset[str]], tuple[str, ...]] = {}

    def watches(self, entity: str) -> bool:
        """True when records of `entity` feed a roll-up."""
        return entity in self.by_source

    # -- after a write ----------------------------------------------------------------------

    def refresh(
        self,
        connection: Connection,
        service: RecordService,
        source: str,
        changes: Sequence[Change],
        options: WriteOptions,
    ) -> None:
        """Bring up to date the roll-ups the writes of `source` records can change; each
        change is (old values or None when created, new values or None when deleted)."""
        context = self._context()
        touched: dict[str, list[Touched]] = {}
        for rollup in self.by_source.get(source, ()):
            item = touched_by(rollup, changes, context)
            if item is not None:
                touched.setdefault(rollup.entity, []).append(item)
        for entity, items in touched.items():
            # A record feeding roll-ups of its own entity may hold them too, and its own
            # `this.` fields may have just changed: it is aggregated, never moved.
            written = written_ids(changes) if entity == source else frozenset()
            if not written and self._in_place(service, entity, items, options):
                self._move_in_place(connection, service, entity, items, options)
            else:
                self._refresh_read(connection, service, entity, items, written, context, options)

    def _refresh_read(
        self,
        connection: Connection,
        service: RecordService,
        entity: str,
        items: Sequence[Touched],
        written: frozenset[int],
        context: EvalContext,
        options: WriteOptions,
    ) -> None:
        """Read the holders (locked on PostgreSQL), work out their new values and hand
        them to the service's derived write."""
        found = self.holders.read(connection, entity, items, context)
        updates: dict[int, dict[str, Any]] = {}
        for item, hits, raw in zip(items, found.hits, found.values, strict=True):
            if raw is not None:  # aggregated with the rows (SQLite)
                values = {key: self._typed(item.rollup, raw[key]) for key in raw}
            elif item.deltas is not None:
                values = self._moved(connection, item, hits, found.rows, written)
            else:  # the holders are locked: now their sources are current (PostgreSQL)
                values = self.values_of(connection, item.rollup, list(hits))
            for record_id, value in values.items():
                updates.setdefault(record_id, {})[item.rollup.field] = value
        moved = frozenset(item.rollup.field for item in items)
        formulas = self.formulas_over(entity, moved)
        service.derive_rows(connection, entity, found.rows, updates, options, formulas=formulas)

    def formulas_over(self, entity: str, fields: frozenset[str]) -> tuple[str, ...]:
        """The formulas of `entity` that read these fields, directly or through other
        formulas, in the order they are computed: the only ones a derived write of those
        fields can move."""
        key = (entity, fields)
        found = self._formulas.get(key)
        if found is None:
            reads = self._formula_reads.get(entity, {})
            moving, chosen = set(fields), []
            # in dependency order: a formula comes after the formulas it reads
            for name in self.runtime.entity(entity).fields.formula_order:
                if reads.get(name, frozenset()) & moving:
                    chosen.append(name)
                    moving.add(name)
            found = self._formulas[key] = tuple(chosen)
        return found

    def _moved(
        self,
        connection: Connection,
        item: Touched,
        hits: Mapping[int, tuple[int, ...]],
        rows: Mapping[int, Mapping[str, Any]],
        written: frozenset[int],
    ) -> dict[int, Any]:
        """A `sum` or `count` moved by what the write added and took away: each holder's
        stored value plus the differences of the versions it holds. A holder whose value
        is blank (never computed), or that is one of the records written, is aggregated
        instead."""
        assert item.deltas is not None
        rollup, moved, again = item.rollup, {}, []
        for record_id, indices in hits.items():
            stored = rows[record_id][rollup.field]
            if stored is None or record_id in written:
                again.append(record_id)
                continue
            total = stored + sum(item.deltas[index] for index in indices)
            moved[record_id] = self._typed(rollup, total)
        if again:
            moved |= self.values_of(connection, rollup, again)
        return moved

    def reads_any(self, source: str, names: frozenset[str] | set[str]) -> bool:
        """True when a roll-up fed by `source` records reads one of these fields."""
        return any(rollup.reads & names for rollup in self.by_source.get(source, ()))

    def _in_place(
        self, service: RecordService, entity: str, items: Sequence[Touched], options: WriteOptions
    ) -> bool:
        """True when the holders can be moved in the database without being read: `link`
        roll-ups moved by difference, on an entity with no formula (nothing to recompute),
        no automation watching its updates (no event to hand over) and no roll-up fed by
        these fields (nothing to follow)."""
        if any(item.deltas is None or item.rollup.spec.link is None for item in items):
            return False
        fields = self.runtime.entity(entity).fields
        if fields.formula_order or any(f.rows is not None for f in fields.fields.values()):
            return False
        if service.watched(EventKind.UPDATED, entity, options):
            return False
        return not self.reads_any(entity, {item.rollup.field for item in items})

    def _move_in_place(
        self,
        connection: Connection,
        service: RecordService,
        entity: str,
        items: Sequence[Touched],
        options: WriteOptions,
    ) -> None:
        """`SET field = field + difference` per holder (in id order); a holder whose value
        is blank is aggregated instead."""
        moves: dict[int, dict[str, Any]] = {}
        for item in items:
            assert item.deltas is not None and item.rollup.spec.link is not None
            name, link = item.rollup.field, item.rollup.spec.link
            for values, delta in zip(item.versions, item.deltas, strict=True):
                held = moves.setdefault(int(values[link]), {})
                held[name] = held.get(name, 0) + delta
        store, again = self.runtime.store, []
        for record_id in sorted(moves):
            amounts = {name: delta for name, delta in moves[record_id].items() if delta != 0}
            if amounts and not store.derive_by(connection, entity, record_id, amounts):
                again.append(record_id)
        if again:
            pending: dict[str, dict[int, dict[str, Any]]] = {}
            for item in items:
                self._collect(connection, item.rollup, again, pending)
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

    # -- values -----------------------------------------------------------------------------

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
        holder = self.runtime.tables.entity(rollup.entity).alias("holder")
        value = aggregate_value(self.runtime, rollup, holder, self._context())
        query: sa.Select[Any] = sa.select(holder.c.id, value).where(
            holder.c.id.in_(sa.bindparam("ids", expanding=True))
        )
        if not rollup.clocked:
            self._queries[key] = query  # today() / now() / me() are constants of a run
        return query

    def _context(self) -> EvalContext:
        return self.runtime.contexts.for_actor(Actor.system())

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
