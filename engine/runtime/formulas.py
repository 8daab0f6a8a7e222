"""Computed values: defaults and formulas, evaluated with the compiled closures and fitted
to how the field is stored.

Formulas are computed on every save, subform rows first (so `sum(lines.subtotal)` sees
fresh subtotals), then the record's formulas in dependency order. A computed number is
rounded half away from zero to the places its column keeps (money to the currency's minor
unit); a value too large for its column leaves the field empty and is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.expr import Env
from engine.runtime.compiled_entity import CompiledField, CompiledFields
from engine.runtime.messages import Message
from engine.runtime.problems import Problems
from engine.storage.field_storage import NUMBER_DIGITS, FieldStorage
from engine.storage.shapes import ShapeKind

__all__ = ["RowEnvFactory", "apply_defaults", "compute_formulas", "fit_computed"]

RowEnvFactory = Callable[[CompiledField, Mapping[str, Any]], Env]
_INT64 = 2**63


class _TooLarge(ValueError):
    pass


def fit_computed(storage: FieldStorage, value: Any) -> Any:
    """A computed value as the field stores it (rounded, converted); ValueError when it
    does not fit the column."""
    if value is None:
        return None
    shape = storage.shape
    kind = shape.kind
    if kind in (ShapeKind.MONEY, ShapeKind.DECIMAL, ShapeKind.INTEGER):
        return _fit_number(value, kind, shape.scale or 0, shape.size)
    if kind in (ShapeKind.STRING, ShapeKind.TEXT):
        return value if isinstance(value, str) else _as_text(value)
    if kind is ShapeKind.TEAM or kind is ShapeKind.LINK:
        return int(value)
    if kind is ShapeKind.BOOLEAN:
        return bool(value)
    return value


def _fit_number(value: Any, kind: ShapeKind, scale: int, size: int | None) -> Decimal | int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    places = 0 if kind is ShapeKind.INTEGER else scale
    try:
        fitted = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation as error:
        raise _TooLarge(str(value)) from error
    digits = size if kind is ShapeKind.DECIMAL and size else NUMBER_DIGITS
    if kind is ShapeKind.MONEY and abs(fitted.scaleb(scale)) >= _INT64:
        raise _TooLarge(str(value))
    if kind is not ShapeKind.MONEY and abs(fitted) >= Decimal(10) ** (digits - places):
        raise _TooLarge(str(value))
    return int(fitted) if kind is ShapeKind.INTEGER else fitted


def _as_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _store(
    field: CompiledField, values: dict[str, Any], value: Any, problems: Problems, key: str
) -> None:
    try:
        values[field.name] = fit_computed(field.storage, value)
    except ValueError:
        values[field.name] = None
        problems.add(key, Message("too_large"))


def apply_defaults(
    compiled: CompiledFields,
    values: dict[str, Any],
    env: Env,
    skip: Iterable[str],
    problems: Problems,
    prefix: str = "",
) -> None:
    """Fill every field that has a default and is not in `skip`, in field order (a later
    default may read an earlier one)."""
    skipped = set(skip)
    for name, field in compiled.fields.items():
        if name in skipped or field.default is None:
            continue
        value = field.default.value(env)
        if field.default.evaluate is None:
            values[name] = list(value) if isinstance(value, list) else value
        else:
            _store(field, values, value, problems, f"{prefix}{name}")


def compute_formulas(
    compiled: CompiledFields,
    values: dict[str, Any],
    env: Env,
    row_env: RowEnvFactory,
    problems: Problems,
    prefix: str = "",
) -> None:
    """Compute every formula of the record (subform rows first), in place."""
    for name, field in compiled.fields.items():
        if field.rows is None or not field.rows.formula_order:
            continue
        for index, row in enumerate(values.get(name) or []):
            row_prefix = f"{prefix}{name}.{index}."
            compute_formulas(field.rows, row, row_env(field, row), row_env, problems, row_prefix)
    for name in compiled.formula_order:
        field = compiled.fields[name]
        assert field.formula is not None
        _store(field, values, field.formula(env), problems, f"{prefix}{name}")
