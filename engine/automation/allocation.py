"""Allocation: splitting a total over records by weights so that the parts add up exactly.

The `allocate` action shares an amount among records (a company target among teams, a year
among quarters) in proportion to their weights, in whole multiples of a `unit` (0.01 for
cents, 1 for whole yuan). Rounding each share on its own would lose or invent units, so the
largest-remainder (Hamilton) method is used: every part first gets the whole units of its
exact share, then the units still left over go one each to the parts with the largest
remainders. The parts always sum to the total, and each is within one unit of its exact
share.

Ties are broken deterministically — a larger remainder first, then the larger weight, then
the earlier item — so the same input always gives the same split, and a larger weight never
gets less than a smaller one. A missing weight counts as zero; when every weight is zero the
total is split equally. A negative total is split as its absolute value, then negated.
Arithmetic is exact (fractions), whatever the number of digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

__all__ = ["allocate"]

Weight = Decimal | int | float | None
"""A weight as the caller has it: Decimal (ints and floats are accepted), None for zero."""


def allocate(
    total: Decimal, weights: Sequence[Weight], unit: Decimal = Decimal(1)
) -> list[Decimal]:
    """Split `total` over `weights` in multiples of `unit`; the parts sum exactly to `total`.

    ValueError when `unit` is not positive, when `total` is not a whole number of units,
    when a weight is negative (or not a finite number), or when there is nothing to split
    a non-zero total over.
    """
    unit_value = _number(unit, "the unit")
    if unit_value <= 0:
        raise ValueError(f"the unit must be more than 0 (like 0.01 or 1), got {unit}")
    total_value = _number(total, "the total")
    units = total_value / unit_value
    if units.denominator != 1:
        raise ValueError(
            f"the total {total} is not a whole number of units of {unit}: "
            f"round it to a multiple of {unit} first, or use a smaller unit"
        )
    shares = [_weight(weight, index) for index, weight in enumerate(weights)]
    if not shares:
        if units != 0:
            raise ValueError(f"there is nothing to allocate the total {total} over (no weights)")
        return []
    if all(share == 0 for share in shares):
        shares = [Fraction(1)] * len(shares)  # all zero (or missing): an equal split
    counts = _hamilton(abs(units.numerator), shares)
    sign = -1 if units < 0 else 1
    return [Decimal(sign * count) * unit for count in counts]


def _hamilton(units: int, weights: list[Fraction]) -> list[int]:
    """Whole units per weight: the floor of each exact quota, then one more unit each for
    the largest remainders (ties: the larger weight, then the earlier item)."""
    whole = sum(weights)
    quotas = [units * weight / whole for weight in weights]
    counts = [quota.numerator // quota.denominator for quota in quotas]
    left = units - sum(counts)
    order = sorted(
        range(len(weights)),
        key=lambda index: (-(quotas[index] - counts[index]), -weights[index], index),
    )
    for index in order[:left]:
        counts[index] += 1
    return counts


def _number(value: object, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value}")
    return Fraction(number)


def _weight(weight: Weight, index: int) -> Fraction:
    if weight is None:
        return Fraction(0)
    value = _number(weight, f"weight {index + 1}")
    if value < 0:
        raise ValueError(f"weight {index + 1} is {weight}: weights cannot be negative")
    return value
