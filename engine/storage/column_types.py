"""The column types that make stored values exact and unambiguous on both databases.

- :class:`Money` — an integer count of minor units in the database, a `Decimal` amount in
  major units (yuan) in Python. A value with more decimal places than the currency has is
  refused, never rounded: rounding is the service's decision, not storage's.
- :class:`ExactDecimal` — `NUMERIC(p, s)`; PostgreSQL keeps it exactly, SQLite (which has no
  decimal type) keeps whole numbers exactly and others to about 15 significant digits.
  Read back as `Decimal` with the column's scale.
- :class:`AwareDateTime` — stored in UTC, read back aware in UTC; a naive datetime is
  refused, because its time zone would be a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.type_api import TypeEngine

from engine.storage.sql_functions import UtcDateTime

__all__ = ["AwareDateTime", "ExactDecimal", "Money", "decimal_to_minor", "minor_to_decimal"]

_INT64 = 2**63
_SCALING = frozenset({operators.mul, operators.truediv, operators.floordiv, operators.mod})
_DIVIDING = _SCALING - {operators.mul}


def decimal_to_minor(value: Decimal | int, digits: int) -> int:
    """An amount in major units as an integer count of minor units (exact, or ValueError)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"money must be a Decimal or an int, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"money must be a finite amount, not {amount}")
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more than {digits} decimal places for this currency")
    count = int(minor)
    if abs(count) >= _INT64:
        raise ValueError(f"{amount} is too large to store")
    return count


def minor_to_decimal(value: int, digits: int) -> Decimal:
    """A stored count of minor units as a Decimal amount in major units."""
    return Decimal(int(value)).scaleb(-digits)


class _MoneyComparator(sa.types.TypeDecorator.Comparator[Decimal], sa.BigInteger.Comparator[int]):
    """Sums, differences and multiples of money are money; a quotient is a plain number
    (of minor units), since integer division would cut it."""

    def _adapt_expression(self, op: Any, other_comparator: Any) -> tuple[Any, TypeEngine[Any]]:
        if op in _DIVIDING:
            return op, sa.Numeric()
        return op, self.type


class Money(sa.types.TypeDecorator[Decimal]):
    """Money: `BIGINT` minor units in the database, `Decimal` major units in Python."""

    impl = sa.BigInteger
    cache_ok = True
    comparator_factory = _MoneyComparator

    def __init__(self, digits: int) -> None:
        super().__init__()
        self.digits = digits

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        return decimal_to_minor(value, self.digits)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return minor_to_decimal(value, self.digits)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        # `amount == Decimal("12.30")` and `amount + Decimal("1")` bind the other side as
        # money (minor units) too; a factor or a divisor is a plain number.
        if op in _SCALING:
            return sa.Numeric()
        return self


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """`NUMERIC(precision, scale)` read back as `Decimal` quantized to `scale`."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: sa.Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # No decimal type: let the driver hand back int/float, converted below.
            return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"a number must be a Decimal or an int, not {type(value).__name__}")
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"a number must be finite, not {number}")
        if dialect.name != "sqlite":
            return number
        # Whole numbers bound as integers stay exact in SQLite; others become REAL.
        if number == number.to_integral_value() and abs(number) < _INT64:
            return int(number)
        return float(number)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return number.quantize(Decimal(1).scaleb(-self.scale))


class AwareDateTime(UtcDateTime):
    """A moment stored in UTC and read back aware (UTC); naive datetimes are refused."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"a datetime must be timezone-aware, not {value.isoformat()}")
        return super().process_bind_param(value, dialect)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        moment = super().process_result_value(value, dialect)
        return None if moment is None else moment.astimezone(UTC)
