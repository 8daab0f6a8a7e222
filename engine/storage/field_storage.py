"""Per field type: how a field is stored (its :class:`Shape` and SQLAlchemy column type) and
the conversions between Python values and stored values.

Python values are what the service and the expressions use: `Decimal` yuan for money,
`Decimal` ratios for percents, aware datetimes, usernames for users, team ids for teams,
record ids for links. The column types do the conversion inside SQLAlchemy;
:meth:`FieldStorage.to_stored` / :meth:`FieldStorage.from_stored` do it for code that moves
raw values (bulk copy, migrations).

Subform and multi_select fields live in child tables, attachments in `fw_files`: they have
no column of their own. Formula and rollup fields store their result type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.type_api import TypeEngine

from engine.errors import FormworkError
from engine.expr import TypeKind, builtin_registry, check_expression
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import AppSpec, EntitySpec, FieldSpec
from engine.spec.registry import FieldType, Registry
from engine.storage.column_types import AwareDateTime, ExactDecimal, Money
from engine.storage.currency import minor_digits
from engine.storage.naming import entity_table_name, system_table_name
from engine.storage.shapes import USERNAME_LENGTH, Shape, ShapeKind

__all__ = [
    "FieldStorage",
    "StorageError",
    "column_type",
    "field_storage",
    "foreign_key_target",
]

NUMBER_DIGITS = 18
PERCENT_SHAPE = Shape(ShapeKind.DECIMAL, size=12, scale=6)
COMPUTED_SCALE = 6
TEXT_LENGTH = 200
CHOICE_LENGTH = 64
SEQUENCE_LENGTH = 100
STATE_LENGTH = 64
_STRING_DEFAULTS = {"text": TEXT_LENGTH, "email": 254, "phone": 32, "url": 2048}

# Built-in field types by name → what they store (plugin types declare a value kind).
_BUILTIN_KINDS: Mapping[str, str] = {
    **dict.fromkeys(("text", "email", "phone", "url", "select", "sequence", "state"), "text"),
    "long_text": "long_text",
    "number": "number",
    "integer": "integer",
    "money": "money",
    "percent": "percent",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "multi_select": "list",
    "user": "user",
    "team": "team",
    "link": "link",
    "subform": "subform",
    "attachment": "attachment",
    "formula": "computed",
    "rollup": "computed",
}

_PLAIN: Mapping[str, Shape] = {
    "long_text": Shape(ShapeKind.TEXT),
    "integer": Shape(ShapeKind.INTEGER),
    "percent": PERCENT_SHAPE,
    "date": Shape(ShapeKind.DATE),
    "datetime": Shape(ShapeKind.DATETIME),
    "boolean": Shape(ShapeKind.BOOLEAN),
    "user": Shape(ShapeKind.USER),
    "team": Shape(ShapeKind.TEAM),
    "list": Shape(ShapeKind.CHOICES),
    "subform": Shape(ShapeKind.SUBFORM),
    "attachment": Shape(ShapeKind.FILES),
    "any": Shape(ShapeKind.TEXT),
}

_RESULT_KINDS: Mapping[TypeKind, str] = {
    TypeKind.TEXT: "long_text",
    TypeKind.NUMBER: "number",
    TypeKind.INTEGER: "integer",
    TypeKind.MONEY: "money",
    TypeKind.PERCENT: "percent",
    TypeKind.BOOLEAN: "boolean",
    TypeKind.DATE: "date",
    TypeKind.DATETIME: "datetime",
    TypeKind.USER: "user",
    TypeKind.TEAM: "team",
}


class StorageError(FormworkError):
    """The spec or the database cannot be used as they are (a reserved column name, an
    unknown field type, an unsupported database URL)."""


@dataclass(frozen=True)
class FieldStorage:
    """How one field is stored: its name, type, shape, and the SQLAlchemy type of its column."""

    name: str
    field_type: str
    shape: Shape

    @property
    def has_column(self) -> bool:
        """True when the field is a column of the record's table."""
        return self.shape.is_column

    def column_type(self) -> TypeEngine[Any]:
        """The SQLAlchemy type of the field's column."""
        return column_type(self.shape)

    def to_stored(self, value: Any, dialect: sa.Dialect) -> Any:
        """A Python value as the database stores it (money → minor units …)."""
        return _bind(self, value, dialect)

    def from_stored(self, raw: Any, dialect: sa.Dialect) -> Any:
        """A raw database value as the Python value (minor units → Decimal yuan …)."""
        kind = self.column_type()
        process = kind.result_processor(dialect, None)
        return process(raw) if process is not None else raw


def _bind(storage: FieldStorage, value: Any, dialect: sa.Dialect) -> Any:
    process = storage.column_type().bind_processor(dialect)
    return process(value) if process is not None else value


def column_type(shape: Shape) -> TypeEngine[Any]:
    """The SQLAlchemy column type of a column shape."""
    kind = shape.kind
    if kind in (ShapeKind.STRING, ShapeKind.USER):
        return sa.String(shape.size if kind is ShapeKind.STRING else USERNAME_LENGTH)
    if kind in (ShapeKind.TEXT, ShapeKind.OTHER):
        return sa.Text()
    if kind is ShapeKind.INTEGER:
        return sa.BigInteger()
    if kind in (ShapeKind.TEAM, ShapeKind.LINK):
        return sa.Integer()
    if kind is ShapeKind.DECIMAL:
        return ExactDecimal(shape.size or NUMBER_DIGITS, shape.scale or 0)
    if kind is ShapeKind.MONEY:
        return Money(shape.scale or 0)
    if kind is ShapeKind.DATE:
        return sa.Date()
    if kind is ShapeKind.DATETIME:
        return AwareDateTime()
    if kind is ShapeKind.BOOLEAN:
        return sa.Boolean()
    raise StorageError(f"a {kind.value} field has no column")


def foreign_key_target(shape: Shape, app: str) -> str | None:
    """`table.column` a column of this shape references (users, teams, linked records)."""
    if shape.kind is ShapeKind.USER:
        return f"{system_table_name('users')}.username"
    if shape.kind is ShapeKind.TEAM:
        return f"{system_table_name('teams')}.id"
    if shape.kind is ShapeKind.LINK and shape.target is not None:
        return f"{entity_table_name(app, shape.target)}.id"
    return None


@dataclass(frozen=True)
class _Context:
    app: AppSpec
    entity: EntitySpec
    registry: Registry | None
    subform: FieldSpec | None = None


def field_storage(
    app: AppSpec,
    entity: EntitySpec,
    field: FieldSpec,
    registry: Registry | None = None,
    *,
    subform: FieldSpec | None = None,
) -> FieldStorage:
    """How `field` of `entity` (a sub-field of `subform` when given) is stored; plugin
    field types need the `registry`."""
    shape = _shape(_Context(app, entity, registry, subform), field)
    return FieldStorage(field.name, field.type, shape)


def _shape(context: _Context, field: FieldSpec) -> Shape:
    kind = _BUILTIN_KINDS.get(field.type) or _plugin_kind(context, field)
    if kind == "computed":
        kind = _computed_kind(context, field)
    return _shape_of_kind(context, field, kind)


def _plugin_kind(context: _Context, field: FieldSpec) -> str:
    declared: FieldType | None = None
    if context.registry is not None:
        declared = context.registry.field_types.get(field.type)
    if declared is None:
        raise StorageError(
            f"field '{field.name}' of '{context.entity.name}' has the type '{field.type}', "
            "which no installed plugin declares"
        )
    return {"text": "text", "list": "list"}.get(declared.value_kind, declared.value_kind)


def _shape_of_kind(context: _Context, field: FieldSpec, kind: str) -> Shape:
    if kind == "text":
        return Shape(ShapeKind.STRING, size=_string_length(field))
    if kind == "number":
        precision = field.option("precision")
        scale = precision if isinstance(precision, int) else _number_scale(field)
        return Shape(ShapeKind.DECIMAL, size=NUMBER_DIGITS, scale=scale)
    if kind == "money":
        currency = field.option("currency") or context.app.currency
        return Shape(ShapeKind.MONEY, scale=minor_digits(currency))
    if kind == "link":
        return Shape(ShapeKind.LINK, target=field.link_target)
    return _PLAIN.get(kind, Shape(ShapeKind.TEXT))


def _number_scale(field: FieldSpec) -> int:
    # `number` fields default to 2 places; computed and plugin numbers keep more.
    return 2 if field.type == "number" else COMPUTED_SCALE


def _string_length(field: FieldSpec) -> int:
    if field.type == "select":
        return CHOICE_LENGTH
    if field.type == "sequence":
        return SEQUENCE_LENGTH
    if field.type == "state":
        return STATE_LENGTH
    declared = field.option("max_length")
    if isinstance(declared, int) and not isinstance(declared, bool):
        return declared
    return _STRING_DEFAULTS.get(field.type, TEXT_LENGTH)


def _computed_kind(context: _Context, field: FieldSpec) -> str:
    result = field.result_type
    if result is not None:
        return "long_text" if result == "text" else result
    rollup = field.rollup
    if rollup is not None:
        return _rollup_kind(context, field)
    return _formula_kind(context, field)


def _rollup_kind(context: _Context, field: FieldSpec) -> str:
    rollup = field.rollup
    assert rollup is not None
    if rollup.aggregate == "count" or rollup.field is None or rollup.source is None:
        return "integer"
    source = context.app.entities.get(rollup.source)
    target = source.fields.get(rollup.field) if source is not None else None
    if source is None or target is None:
        return "number"
    shape = _shape(_Context(context.app, source, context.registry), target)
    if rollup.aggregate == "avg" and shape.kind is ShapeKind.INTEGER:
        return "number"
    return _kind_of_shape(shape)


def _kind_of_shape(shape: Shape) -> str:
    names = {
        ShapeKind.STRING: "text",
        ShapeKind.TEXT: "long_text",
        ShapeKind.INTEGER: "integer",
        ShapeKind.DECIMAL: "number",
        ShapeKind.MONEY: "money",
        ShapeKind.DATE: "date",
        ShapeKind.DATETIME: "datetime",
        ShapeKind.BOOLEAN: "boolean",
    }
    return names.get(shape.kind, "number")


def _formula_kind(context: _Context, field: FieldSpec) -> str:
    """A formula without `result:` stores what its expression computes."""
    expr = field.formula_expr
    if expr is None:
        return "long_text"
    registry = context.registry or Registry(
        field_types={
            name: FieldType(name, "", kind, {}) for name, kind in _builtin_value_kinds().items()
        },
        functions=builtin_registry(),
    )
    builder = ScopeBuilder(context.app, registry)
    if context.subform is not None:
        owner = f"{context.entity.name}.{context.subform.name}"
        scope = builder.fields_scope(owner, context.subform.subfields)
    else:
        scope = builder.entity_scope(context.entity)
    checked = check_expression(expr.text, scope, registry.functions)
    return _RESULT_KINDS.get(checked.type.kind, "long_text")


def _builtin_value_kinds() -> dict[str, str]:
    renamed = {"long_text": "text", "computed": "any"}
    return {name: renamed.get(kind, kind) for name, kind in _BUILTIN_KINDS.items()}
