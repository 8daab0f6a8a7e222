"""Allocation: the parts always add up to the total, each within one unit of its exact share,
never less for a larger weight; ties, zero weights and negative totals are deterministic;
bad input is refused with a message saying what is wrong."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.automation.allocation import allocate

D = Decimal
CENT = D("0.01")


def test_a_target_split_to_the_yuan() -> None:
    assert allocate(D(1_000_000), [D(3), D(3), D(4)]) == [D(300_000), D(300_000), D(400_000)]
    assert allocate(D(100), [D(1), D(1), D(1)]) == [D(34), D(33), D(33)]


def test_cents_go_to_the_largest_remainders() -> None:
    # exact shares 3.333…, 3.333…, 3.333… → one cent left over, to the first item
    assert allocate(D(10), [D(1), D(1), D(1)], CENT) == [D("3.34"), D("3.33"), D("3.33")]
    # exact shares 1.005, 2.010, 6.985 (cents: remainders .5, .0, .5) → the larger weight
    parts = allocate(D(10), [D(201), D(402), D(1397)], CENT)
    assert parts == [D("1.00"), D("2.01"), D("6.99")]
    assert sum(parts) == D(10)


def test_ties_in_remainders_go_to_the_larger_weight_then_the_earlier_item() -> None:
    # quotas 2.5 and 2.5 of 5 units with equal weights: the earlier one
    assert allocate(D(5), [D(1), D(1)]) == [D(3), D(2)]
    # 7 units over 1:3:3 → 1, 3, 3 exactly; 8 units → quotas 1.14, 3.43, 3.43: the earlier 3
    assert allocate(D(8), [D(1), D(3), D(3)]) == [D(1), D(4), D(3)]
    # equal remainders (.5) and different weights: the larger weight first
    assert allocate(D(3), [D(1), D(5)]) == [D(0), D(3)]  # quotas 0.5 and 2.5
    assert allocate(D(2), [D(1), D(3)]) == [D(0), D(2)]  # quotas 0.5 and 1.5


def test_zero_and_missing_weights_get_nothing() -> None:
    assert allocate(D(10), [D(0), None, D(2)]) == [D(0), D(0), D(10)]


def test_all_zero_weights_split_equally() -> None:
    assert allocate(D(10), [D(0), D(0), D(0)]) == [D(4), D(3), D(3)]
    assert allocate(D(10), [None, None]) == [D(5), D(5)]


def test_negative_totals_are_symmetric() -> None:
    assert allocate(D(-100), [D(1), D(1), D(1)]) == [D(-34), D(-33), D(-33)]
    assert allocate(D("-10"), [D(201), D(402), D(1397)], CENT) == [
        D("-1.00"),
        D("-2.01"),
        D("-6.99"),
    ]


def test_zero_total_and_empty_weights() -> None:
    assert allocate(D(0), [D(1), D(2)]) == [D(0), D(0)]
    assert allocate(D(0), []) == []


def test_ints_and_floats_are_accepted_as_weights() -> None:
    assert allocate(D(10), [1, 1.5, D("2.5")]) == [D(2), D(3), D(5)]


@pytest.mark.parametrize(
    ("total", "weights", "unit", "message"),
    [
        (D("10.005"), [D(1)], CENT, "not a whole number of units of 0.01"),
        (D("10.5"), [D(1)], D(1), "not a whole number of units of 1"),
        (D(10), [D(1), D(-1)], D(1), "weight 2 is -1: weights cannot be negative"),
        (D(10), [], D(1), "nothing to allocate the total 10 over"),
        (D(10), [D(1)], D(0), "the unit must be more than 0"),
        (D(10), [D(1)], D("-0.01"), "the unit must be more than 0"),
        (D("NaN"), [D(1)], D(1), "the total must be a finite number"),
        (D(10), [D("Infinity")], D(1), "weight 1 must be a finite number"),
        (D(10), ["3"], D(1), "weight 1 must be a number, got '3'"),
        (D(10), [True], D(1), "weight 1 must be a number"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    total: Decimal, weights: list[object], unit: Decimal, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(total, weights, unit)  # type: ignore[arg-type]


units = st.sampled_from([D(1), CENT, D("0.1"), D(5), D("0.25")])
weight_lists = st.lists(
    st.one_of(
        st.none(),
        st.integers(min_value=0, max_value=10_000).map(Decimal),
        st.decimals(min_value=0, max_value=1000, places=3),
    ),
    min_size=1,
    max_size=12,
)


def _exact_shares(total: Decimal, weights: list[Decimal | None]) -> list[Fraction]:
    values = [Fraction(w or 0) for w in weights]
    if not any(values):
        values = [Fraction(1)] * len(values)
    whole = sum(values)
    return [Fraction(total) * value / whole for value in values]


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(min_value=-(10**9), max_value=10**9),
    unit=units,
    weights=weight_lists,
)
def test_properties(count: int, unit: Decimal, weights: list[Decimal | None]) -> None:
    total = count * unit
    parts = allocate(total, weights, unit)
    assert len(parts) == len(weights)
    assert sum(parts, D(0)) == total  # exact
    for part, share in zip(parts, _exact_shares(total, weights), strict=True):
        assert (Fraction(part) / Fraction(unit)).denominator == 1  # whole units
        assert abs(Fraction(part) - share) < Fraction(unit)  # within one unit of its share
    magnitudes = [abs(part) for part in parts]
    plain = [w or D(0) for w in weights]
    for i, wi in enumerate(plain):
        for j, wj in enumerate(plain):
            if wi > wj:
                assert magnitudes[i] >= magnitudes[j]  # monotone in weight


@settings(max_examples=100, deadline=None)
@given(count=st.integers(min_value=0, max_value=10**6), weights=weight_lists)
def test_negating_the_total_negates_the_parts(count: int, weights: list[Decimal | None]) -> None:
    total = count * CENT
    assert allocate(-total, weights, CENT) == [-part for part in allocate(total, weights, CENT)]
