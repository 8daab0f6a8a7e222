"""The rows a dashboard widget reads for one viewer, and what it computes of them.

`WidgetSource` holds the WHERE clause: live records (soft-deleted ones left out) in the
viewer's read scope — the clause the list view uses, `Permissions.row_filter` — that pass
the widget's `filter` (compiled by the list view's own filter compiler, so `me()` and
`today()` mean the same, and a filter over a field the viewer may not read is refused
there too). `Measure` is the aggregate of one field (count, sum, avg, min, max) as one SQL
expression and how its result is read back with the field's type: money exact in yuan
(summed in minor units, scaled once), numbers and percents as `Decimal`, counts as `int`.

A field the viewer may not read can be neither aggregated, grouped by, sorted by nor shown:
that is a `WidgetProblem`, whose text the dashboard shows in the widget's place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.errors import BadRequest
from engine.runtime.actor import Actor
from engine.runtime.listing import order_by, parse_sort, wide_integers
from engine.spec.model import FieldSpec
from engine.spec.model_dashboard import WidgetSpec
from engine.storage.field_storage import FieldStorage
from engine.storage.shapes import ShapeKind
from engine.storage.sql_functions import ExactNumber

if TYPE_CHECKING:
    from engine.runtime.records import RecordService

__all__ = [
    "AGGREGATES",
    "NUMERIC_TYPES",
    "TABLE_LIMIT",
    "Measure",
    "WidgetProblem",
    "WidgetSource",
]

Clause = ColumnElement[Any]
AGGREGATES = ("count", "sum", "avg", "min", "max")
NUMERIC_TYPES = frozenset({"money", "percent", "number", "integer"})
TABLE_LIMIT = 20
"""Rows of a table widget when it gives no `limit`."""
MAX_TABLE_LIMIT = 500
AVERAGE_PLACES = 2
"""Decimal places of the average of whole numbers."""
DEFAULT_COLUMNS = 5
"""Columns of a table widget that lists none: the first readable fields."""

_SYSTEM_KINDS: Mapping[str, ShapeKind] = {
    "created_at": ShapeKind.DATETIME,
    "updated_at": ShapeKind.DATETIME,
    "created_by": ShapeKind.USER,
    "updated_by": ShapeKind.USER,
}


class WidgetProblem(Exception):
    """Why a widget cannot be shown to this viewer; the text is shown in its place."""


@dataclass(frozen=True)
class Column:
    """A field of the widget's entity as a column: its name, spec (None for a system
    column), how it is stored, and its clause over the entity's table."""

    name: str
    spec: FieldSpec | None
    kind: ShapeKind
    clause: Clause
    storage: FieldStorage | None

    @property
    def value_type(self) -> str | None:
        """What its values are, as a dashboard says it: money, percent, number, integer,
        date or datetime (None for anything else)."""
        if self.kind is ShapeKind.MONEY:
            return "money"
        if self.kind is ShapeKind.DECIMAL:
            spec = self.spec
            declared = spec.result_type if spec is not None and spec.result_type else None
            kind = declared or (spec.type if spec is not None else "number")
            return "percent" if kind == "percent" else "number"
        if self.kind is ShapeKind.INTEGER:
            return "integer"
        if self.kind in (ShapeKind.DATE, ShapeKind.DATETIME):
            return self.kind.value
        return None


class WidgetSource:
    """The records one widget reads for one viewer: a table and its WHERE clause."""

    def __init__(self, service: RecordService, actor: Actor, widget: WidgetSpec) -> None:
        runtime = service.runtime
        entity = widget.entity or ""
        if entity not in runtime.app.entities:
            raise WidgetProblem(f"the app has no entity '{entity}'")
        permissions = runtime.permissions
        if not permissions.can(actor, entity, "read"):
            raise WidgetProblem(f"you may not see the records of '{entity}'")
        self.service = service
        self.actor = actor
        self.entity = entity
        self.compiled = runtime.entity(entity)
        self.table: sa.Table = self.compiled.tables.table
        self.readable = {
            name: permissions.field_access(actor, entity, name) != "none"
            for name in self.compiled.spec.fields
        }
        self.conditions: list[Clause] = [
            self.table.c.deleted_at.is_(None),
            permissions.row_filter(actor, entity, "read"),
        ]
        if widget.filter is not None and widget.filter.text.strip():
            self.conditions.append(self._filter(widget.filter.text))

    def _filter(self, text: str) -> Clause:
        try:
            # The list view's own compiler (checks, field rights, a bounded cache): a
            # widget counts exactly what the list with this filter shows. Private by name
            # only; it has no side effects.
            condition = self.service.lists._filter(self.actor, self.compiled, text, self.readable)
        except BadRequest as error:
            raise WidgetProblem(str(error)) from error
        return wide_integers(condition)

    def column(self, name: str, purpose: str) -> Column:
        """A field the viewer may read, stored in the record's row (WidgetProblem
        otherwise; `purpose` says what for: "aggregate", "group by", "sort by", …)."""
        if name in _SYSTEM_KINDS:
            return Column(name, None, _SYSTEM_KINDS[name], self.table.c[name], None)
        spec = self.compiled.spec.fields.get(name)
        storage = self.compiled.tables.fields.get(name)
        if spec is None or storage is None:
            raise WidgetProblem(f"'{self.entity}' has no field '{name}' to {purpose}")
        if not self.readable.get(name, False):
            raise WidgetProblem(
                f"you may not read '{self.entity}.{name}', so you cannot {purpose} it"
            )
        if not storage.has_column:
            raise WidgetProblem(
                f"'{self.entity}.{name}' is a {spec.type} field (kept in other rows): "
                f"a dashboard cannot {purpose} it"
            )
        return Column(name, spec, storage.shape.kind, self.table.c[name], storage)

    def measure(self, aggregate: str, field: str | None) -> Measure:
        """The widget's aggregate (`count` of records when there is no field)."""
        if aggregate not in AGGREGATES:
            raise WidgetProblem(f"'{aggregate}' is not an aggregate ({', '.join(AGGREGATES)})")
        if field is None:
            if aggregate != "count":
                raise WidgetProblem(f"'{aggregate}' needs a `field` to aggregate")
            return Measure("count", None, "integer", sa.func.count(), None)
        column = self.column(field, "aggregate")
        if aggregate == "count":
            return Measure("count", field, "integer", sa.func.count(column.clause), None)
        value_type = column.value_type
        numeric = value_type in NUMERIC_TYPES
        if value_type is None or (aggregate in ("sum", "avg") and not numeric):
            raise WidgetProblem(
                f"cannot {aggregate} '{self.entity}.{field}': it is not a number"
                + (" or a date" if aggregate in ("min", "max") else "")
            )
        if aggregate == "avg":
            # AVG of the stored values (minor units for money), scaled and rounded once
            clause: Clause = sa.type_coerce(
                sa.func.avg(sa.type_coerce(column.clause, sa.Numeric())), ExactNumber()
            )
        else:  # sum / min / max keep the column's type: money comes back in yuan, exact
            clause = getattr(sa.func, aggregate)(column.clause)
        return Measure(aggregate, field, value_type, clause, column.storage)

    def rows_statement(
        self, columns: Sequence[str], sort: str | None, limit: int | None
    ) -> tuple[tuple[str, ...], sa.Select[Any]]:
        """A table widget: the `columns` the viewer may read (the first such fields when
        none are listed; the stamps `created_at`, `created_by`, … always; fields kept in
        other rows — subforms, multi-selects, files — never) of the first `limit` records
        in `sort` order (the list view's: empty values last, then id)."""
        stored = self.compiled.tables.fields

        def showable(name: str) -> bool:
            if name in _SYSTEM_KINDS:
                return True
            return self.readable.get(name, False) and name in stored and stored[name].has_column

        shown = tuple(filter(showable, columns or self.readable))
        if not columns:
            shown = shown[:DEFAULT_COLUMNS]
        picked = [self.column(name, "show") for name in shown]
        try:
            keys = parse_sort(self.compiled.tables, [sort] if sort else [], self.readable)
        except BadRequest as error:
            raise WidgetProblem(str(error)) from error
        count = limit if limit is not None else TABLE_LIMIT
        if not 1 <= count <= MAX_TABLE_LIMIT:
            raise WidgetProblem(f"a table shows 1 to {MAX_TABLE_LIMIT} rows, not {count}")
        statement = (
            sa.select(self.table.c.id, *(column.clause for column in picked))
            .where(*self.conditions)
            .order_by(*order_by(self.table, keys))
            .limit(count)
        )
        return shown, statement


@dataclass(frozen=True)
class Measure:
    """An aggregate as SQL, and how its result is read back. `field_type` is what the
    aggregated values are (money, percent, number, integer, date, datetime; integer for a
    count); `value_type` what the result is (an average of whole numbers is a number)."""

    aggregate: str
    field: str | None
    field_type: str
    clause: Clause
    storage: FieldStorage | None

    @property
    def value_type(self) -> str:
        """The type of the result: money, percent, number, integer, date or datetime."""
        if self.aggregate == "avg" and self.field_type == "integer":
            return "number"
        return self.field_type

    @property
    def empty(self) -> Decimal | int | None:
        """The value over no values: 0 for a count or a sum, else None."""
        if self.aggregate == "count" or (self.aggregate == "sum" and self.field_type == "integer"):
            return 0
        if self.aggregate == "sum":
            return Decimal(0).scaleb(-self._places())
        return None

    def value(self, raw: Any) -> Any:
        """A result of the SQL aggregate as the widget shows it."""
        if raw is None:
            return self.empty
        if self.aggregate == "avg":
            return self._average(raw)
        if self.field_type == "integer":
            return int(raw)  # PostgreSQL sums integers as numeric
        return raw

    def _average(self, raw: Any) -> Decimal:
        number = raw if isinstance(raw, Decimal) else Decimal(repr(raw))
        if self.field_type == "money":
            number = number.scaleb(-self._places())
        places = AVERAGE_PLACES if self.field_type == "integer" else self._places()
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

    def _places(self) -> int:
        """Decimal places of the field as stored (money: the currency's minor unit)."""
        shape = self.storage.shape if self.storage is not None else None
        return shape.scale if shape is not None and shape.scale is not None else 0
