"""Defaults and formulas: computed on every save in dependency order, subform rows first,
money exact to the fen (half away from zero), values fitted to their columns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from runtime_support import act

from engine.runtime.engine import Engine
from engine.runtime.formulas import fit_computed
from engine.storage.field_storage import FieldStorage
from engine.storage.shapes import Shape, ShapeKind


def test_subform_and_record_formulas_are_exact(shop: Engine) -> None:
    lead = act(shop, "lead_ann")
    lines = [
        {"item": "a", "qty": 3, "price": "0.10"},
        {"item": "b", "price": "0.20"},  # qty defaults to 1
    ]
    order = shop.records.create(lead, "order", {"title": "Sum", "amount": "0.50", "lines": lines})
    assert [row["subtotal"] for row in order["lines"]] == [Decimal("0.30"), Decimal("0.20")]
    assert [row["qty"] for row in order["lines"]] == [3, 1]
    assert order["total"] == Decimal("0.50")
    assert order["gross"] == Decimal("0.57")  # 0.565 rounds half away from zero


def test_formulas_follow_every_update_and_rows_are_replaced(shop: Engine) -> None:
    lead = act(shop, "lead_ann")
    order = shop.records.create(
        lead, "order", {"title": "Sum", "lines": [{"item": "a", "qty": 2, "price": "50"}]}
    )
    assert order["total"] == Decimal("100.00") and order["gross"] == Decimal("113.00")
    changed = shop.records.update(
        lead,
        "order",
        order.id,
        {"lines": [{"item": "b", "qty": 1, "price": "19.99", "subtotal": 999, "id": 7}]},
        version=1,
    )
    assert changed["lines"] == [
        {"item": "b", "qty": 1, "price": Decimal("19.99"), "subtotal": Decimal("19.99")}
    ]
    assert changed["total"] == Decimal("19.99") and changed["gross"] == Decimal("22.59")
    history = shop.records.history(lead, "order", order.id)[-1]
    assert history.changes["total"] == [100, 19.99]
    assert history.changes["lines"][1] == [
        {"item": "b", "qty": 1, "price": 19.99, "subtotal": 19.99}
    ]


def test_money_sums_stay_exact_over_many_rows(shop: Engine) -> None:
    lead = act(shop, "lead_ann")
    for index in range(3):
        shop.records.create(lead, "order", {"title": f"Cent {index}", "amount": "0.10"})
    records = shop.records.list(lead, "order").records
    assert sum((r["amount"] for r in records), Decimal(0)) == Decimal("0.30")


@pytest.mark.parametrize(
    ("shape", "value", "expected"),
    [
        (Shape(ShapeKind.MONEY, scale=2), Decimal("2.345"), Decimal("2.35")),
        (Shape(ShapeKind.MONEY, scale=2), Decimal("-2.345"), Decimal("-2.35")),
        (Shape(ShapeKind.MONEY, scale=0), Decimal("2.5"), Decimal("3")),
        (Shape(ShapeKind.DECIMAL, size=12, scale=6), Decimal("0.1234567"), Decimal("0.123457")),
        (Shape(ShapeKind.INTEGER), Decimal("7.5"), 8),
        (Shape(ShapeKind.TEXT), Decimal("1.50"), "1.5"),
        (Shape(ShapeKind.BOOLEAN), True, True),
    ],
)
def test_computed_values_are_fitted_to_their_column(
    shape: Shape, value: object, expected: object
) -> None:
    fitted = fit_computed(FieldStorage("f", "formula", shape), value)
    assert fitted == expected and type(fitted) is type(expected)


def test_a_computed_value_too_large_for_its_column_is_refused() -> None:
    with pytest.raises(ValueError):
        fit_computed(FieldStorage("f", "formula", Shape(ShapeKind.MONEY, scale=2)), Decimal("1e20"))


def test_stale_computed_values_are_recomputed_and_recorded(shop: Engine) -> None:
    lead = act(shop, "lead_ann")
    order = shop.records.create(
        lead, "order", {"title": "Sum", "lines": [{"item": "a", "qty": 2, "price": "50"}]}
    )
    rows = shop.tables.child("order", "lines")
    with shop.db.begin() as connection:  # as if the formula had changed since the last save
        connection.execute(rows.update().values(subtotal=Decimal("1")))
    updated = shop.records.update(lead, "order", order.id, {"title": "Resum"}, version=1)
    assert updated["lines"][0]["subtotal"] == Decimal("100.00")
    changes = shop.records.history(lead, "order", order.id)[-1].changes
    assert changes["title"] == ["Sum", "Resum"]
    assert changes["lines"] == [
        [{"item": "a", "qty": 2, "price": 50, "subtotal": 1}],
        [{"item": "a", "qty": 2, "price": 50, "subtotal": 100}],
    ]
