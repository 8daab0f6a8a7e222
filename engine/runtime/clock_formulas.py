"""Formulas that read the clock, kept fresh.

A formula is computed when its record is saved; one that reads `today()` or `now()` —
directly, or through another formula of the same record — is stale once the day changes
(`days_open`, a run-rate forecast). `ClockFormulas` finds those formulas at load, per
entity, and `refresh_in` recomputes them for every live record of the entity: derived
writes (`RecordService.derive_in`: only changed values are written, version + 1, no history
entry), so roll-ups fed by them follow and `threshold` / `record_updated` rules fire.

The worker's scheduler runs it once per app day and entity (a row in `fw_schedule_ticks`
claims the day, so several workers do it once); `run.py recompute APP_DIR` runs it at once.
Records go 200 at a time under a savepoint (PostgreSQL: locked `FOR NO KEY UPDATE` first,
as roll-up holders are); a rule that fails on one record rolls back only that record's
refresh, and its trace is kept, as for scheduled rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import AutomationFailed
from engine.expr import check_expression
from engine.runtime.automation_service import AutomationService
from engine.runtime.preparation import WriteOptions
from engine.runtime.records import RecordService
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import AppSpec, EntitySpec
from engine.spec.registry import Registry

__all__ = ["CLOCK_FUNCTIONS", "REFRESH_BATCH", "ClockFormulas", "Refreshed", "clock_formulas"]

CLOCK_FUNCTIONS = frozenset({"today", "now"})
"""The functions whose value changes with the clock."""
REFRESH_BATCH = 200
"""Records recomputed per savepoint."""


@dataclass(frozen=True)
class Refreshed:
    """What one refresh of an entity did: records whose values changed, records whose
    refresh a failing rule rolled back (their traces say why)."""

    entity: str
    changed: int = 0
    failed: int = 0


def clock_formulas(app: AppSpec, registry: Registry) -> Mapping[str, tuple[str, ...]]:
    """Entity → its formula fields that read the clock (directly or through other formulas
    of the record), in field order; entities without any are left out."""
    scopes = ScopeBuilder(app, registry)
    found: dict[str, tuple[str, ...]] = {}
    for entity in app.entities.values():
        fields = _reading_clock(entity, scopes, registry)
        if fields:
            found[entity.name] = fields
    return MappingProxyType(found)


def _reading_clock(entity: EntitySpec, scopes: ScopeBuilder, registry: Registry) -> tuple[str, ...]:
    scope = scopes.entity_scope(entity)
    reads: dict[str, frozenset[str]] = {}
    stale: set[str] = set()
    for name, field in entity.fields.items():
        expr = field.formula_expr
        if expr is None:
            continue
        checked = check_expression(expr.text, scope, registry.functions, entity=entity.name)
        reads[name] = frozenset(path[0] for path in checked.names_used if path)
        if CLOCK_FUNCTIONS.intersection(checked.functions):
            stale.add(name)
    grown = True
    while grown:  # a formula over a stale formula is stale (no cycles: R118)
        more = {name for name, used in reads.items() if name not in stale and used & stale}
        stale |= more
        grown = bool(more)
    return tuple(name for name in entity.fields if name in stale)


class ClockFormulas:
    """The app's clock-reading formulas and their refresh; see the module docstring."""

    def __init__(self, records: RecordService, automations: AutomationService) -> None:
        self.records = records
        self.automations = automations
        runtime = records.runtime
        self.fields = clock_formulas(runtime.app, runtime.registry)

    def refresh(self, entity: str | None = None) -> list[Refreshed]:
        """Recompute the clock-reading formulas of `entity` (or of every entity that has
        some), one transaction per entity."""
        found: list[Refreshed] = []
        for name in self.fields:
            if entity is not None and name != entity:
                continue
            with self.records.db.begin() as connection:
                found.append(self.refresh_in(connection, name))
        return found

    def refresh_in(self, connection: Connection, entity: str) -> Refreshed:
        """Recompute the formulas of every live record of `entity` in the caller's
        transaction (records whose refresh a rule failed are left as they were)."""
        table = self.records.runtime.tables.entity(entity)
        query = sa.select(table.c.id).where(table.c.deleted_at.is_(None)).order_by(table.c.id)
        ids = [int(found) for found in connection.scalars(query)]
        changed = failed = 0
        for start in range(0, len(ids), REFRESH_BATCH):
            batch = ids[start : start + REFRESH_BATCH]
            self._lock(connection, entity, batch)
            try:
                with _savepoint(connection):
                    changed += self._derive(connection, entity, batch)
                continue
            except AutomationFailed:
                pass  # find the records whose rules fail, one by one
            for record_id in batch:
                try:
                    with _savepoint(connection):
                        changed += self._derive(connection, entity, [record_id])
                except AutomationFailed as error:
                    self.automations.traces.insert(connection, error.trace)
                    failed += 1
        return Refreshed(entity, changed, failed)

    def _derive(self, connection: Connection, entity: str, ids: Sequence[int]) -> int:
        updates: dict[int, dict[str, object]] = {record_id: {} for record_id in ids}
        options = WriteOptions(trusted=True)
        return self.records.derive_in(connection, entity, updates, options)

    def _lock(self, connection: Connection, entity: str, ids: Sequence[int]) -> None:
        """PostgreSQL: lock the batch (`FOR NO KEY UPDATE`, in id order) before reading it,
        so a user's concurrent save is not overwritten with values computed before it."""
        if connection.dialect.name != "postgresql" or not ids:
            return
        table = self.records.runtime.tables.entity(entity)
        query = (
            sa.select(table.c.id)
            .where(table.c.id.in_(list(ids)))
            .order_by(table.c.id)
            .with_for_update(key_share=True)
        )
        connection.execute(query).all()


@contextmanager
def _savepoint(connection: Connection) -> Iterator[None]:
    savepoint = connection.begin_nested()
    try:
        yield
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
