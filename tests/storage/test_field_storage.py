"""How each field type is stored: shapes, column types, computed results, plugin types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.column_types import AwareDateTime, ExactDecimal, Money
from engine.storage.field_storage import (
    StorageError,
    column_type,
    field_storage,
    foreign_key_target,
)
from engine.storage.shapes import Shape, ShapeKind

APP = """
    app: demo
    title: Demo
    locales: [en]
    currency: {currency}
    plugins: [rating]
    roles:
      clerk: {{label: Clerk}}
    """
THING = """
    entity: thing
    label: Thing
    fields:
      title: {type: text}
      code: {type: text, max_length: 12}
      mail: {type: email}
      phone: {type: phone}
      site: {type: url, max_length: 500}
      body: {type: long_text}
      kind: {type: select, options: [a, b]}
      tags: {type: multi_select, options: [a, b]}
      number: {type: sequence, pattern: "T-{0000}"}
      size: {type: number}
      weight: {type: number, precision: 4}
      count: {type: integer}
      price: {type: money}
      yen: {type: money, currency: JPY}
      share: {type: percent}
      day: {type: date}
      at: {type: datetime}
      done: {type: boolean}
      owner: {type: user}
      team: {type: team}
      other: {type: link, to: thing}
      file: {type: attachment}
      lines:
        type: subform
        fields:
          qty: {type: integer}
          unit: {type: money}
          line_total: {type: formula, expr: "qty * unit"}
      doubled: {type: formula, expr: "price * 2"}
      label_text: {type: formula, expr: "title + code"}
      flagged: {type: formula, expr: "count > 3", result: boolean}
      stars: {type: rating}
      children: {type: rollup, source: thing, link: other, aggregate: count}
      child_total: {type: rollup, source: thing, link: other, aggregate: sum, field: price}
      child_mean: {type: rollup, source: thing, link: other, aggregate: avg, field: count}
      status: {type: state}
    permissions:
      clerk: {read: all}
    workflow:
      field: status
      states:
        open: {initial: true}
        shut: {final: true}
      transitions:
        shut: {from: open, to: shut}
    """


@pytest.fixture
def spec(
    write_app_folder: Callable[[Mapping[str, str]], Path], load_spec: Callable[[Path], AppSpec]
) -> Callable[[str], AppSpec]:
    def build(currency: str = "CNY") -> AppSpec:
        app = APP.format(currency=currency)
        return load_spec(write_app_folder({"app.yaml": app, "entities/thing.yaml": THING}))

    return build


def shape(app: AppSpec, name: str, registry: Registry | None = None) -> str:
    entity = app.entities["thing"]
    return str(field_storage(app, entity, entity.fields[name], registry).shape)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("title", "string:200"),
        ("code", "string:12"),
        ("mail", "string:254"),
        ("phone", "string:32"),
        ("site", "string:500"),
        ("body", "text"),
        ("kind", "string:64"),
        ("tags", "choices"),
        ("number", "string:100"),
        ("size", "decimal:18:2"),
        ("weight", "decimal:18:4"),
        ("count", "integer"),
        ("price", "money:2"),
        ("yen", "money:0"),
        ("share", "decimal:12:6"),
        ("day", "date"),
        ("at", "datetime"),
        ("done", "boolean"),
        ("owner", "user"),
        ("team", "team"),
        ("other", "link:thing"),
        ("file", "files"),
        ("lines", "subform"),
        ("doubled", "money:2"),
        ("label_text", "text"),
        ("flagged", "boolean"),
        ("children", "integer"),
        ("child_total", "money:2"),
        ("child_mean", "decimal:18:6"),
        ("status", "string:64"),
    ],
)
def test_each_field_type_has_its_shape(
    spec: Callable[..., AppSpec], project_registry: Registry, name: str, expected: str
) -> None:
    assert shape(spec(), name, project_registry) == expected


def test_the_app_currency_decides_money_and_a_field_may_override_it(
    spec: Callable[..., AppSpec],
) -> None:
    app = spec("JPY")
    assert (shape(app, "price"), shape(app, "yen")) == ("money:0", "money:0")
    assert shape(spec("KWD"), "price") == "money:3"


def test_a_subform_formula_is_typed_from_its_row(
    spec: Callable[..., AppSpec], project_registry: Registry
) -> None:
    app = spec()
    entity = app.entities["thing"]
    lines = entity.fields["lines"]
    stored = field_storage(
        app, entity, lines.subfields["line_total"], project_registry, subform=lines
    )
    assert str(stored.shape) == "money:2"


def test_plugin_types_are_stored_by_their_value_kind(
    spec: Callable[..., AppSpec], project_registry: Registry
) -> None:
    app = spec()
    assert shape(app, "stars", project_registry) == "decimal:18:6"
    with pytest.raises(StorageError, match="'stars' of 'thing' has the type 'rating'"):
        shape(app, "stars")


def test_column_types_and_foreign_keys() -> None:
    assert isinstance(column_type(Shape(ShapeKind.MONEY, scale=2)), Money)
    assert isinstance(column_type(Shape(ShapeKind.DATETIME)), AwareDateTime)
    number = column_type(Shape(ShapeKind.DECIMAL, size=18, scale=4))
    assert isinstance(number, ExactDecimal)
    assert (number.precision, number.scale) == (18, 4)
    assert column_type(Shape(ShapeKind.USER)).compile(dialect=postgresql.dialect()) == "VARCHAR(64)"
    assert foreign_key_target(Shape(ShapeKind.LINK, target="deal"), "crm") == "crm__deal.id"
    assert foreign_key_target(Shape(ShapeKind.USER), "crm") == "fw_users.username"
    assert foreign_key_target(Shape(ShapeKind.TEAM), "crm") == "fw_teams.id"
    assert foreign_key_target(Shape(ShapeKind.DATE), "crm") is None


def test_stored_values_convert_both_ways(spec: Callable[..., AppSpec]) -> None:
    app = spec()
    entity = app.entities["thing"]
    price = field_storage(app, entity, entity.fields["price"])
    dialect = sqlite.dialect()
    assert price.to_stored(Decimal("12.34"), dialect) == 1234
    assert price.from_stored(-5, dialect) == Decimal("-0.05")
    title = field_storage(app, entity, entity.fields["title"])
    assert title.to_stored("x", dialect) == "x"
    assert not field_storage(app, entity, entity.fields["tags"]).has_column
