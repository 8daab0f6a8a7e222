"""Checking a recipe against the app: entities, fields, roles, options, people and order."""

from __future__ import annotations

import textwrap

from engine.diagnostics import Diagnostic
from engine.seeding import SeedSpec, parse_recipe, validate_recipe
from engine.spec.model import AppSpec


def check(text: str, app: AppSpec) -> list[Diagnostic]:
    spec, diagnostics = parse_recipe(textwrap.dedent(text).lstrip(), "seed/demo.yaml")
    assert spec is not None, [d.to_text() for d in diagnostics]
    return validate_recipe(spec, app)


def where(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.line, d.col, d.pointer) for d in diagnostics]


def test_the_sales_recipe_fits_the_sales_app(sales_recipe: SeedSpec, sales_app: AppSpec) -> None:
    assert validate_recipe(sales_recipe, sales_app) == []
    entities = [r.entity for r in sales_recipe.recipes]
    assert entities == ["customer", "contact", "deal", "follow_up", "contract", "target"]


def test_people_must_match_the_app_and_each_other(sales_app: AppSpec) -> None:
    diagnostics = check(
        """
        teams:
          - {name: east, manager: nobody, parent: hq}
        users:
          - {username: ann, roles: [sales_reps], team: west}
        """,
        sales_app,
    )
    assert where(diagnostics) == [
        ("D113", 2, 27, "/teams/0/manager"),
        ("D113", 2, 43, "/teams/0/parent"),
        ("D112", 4, 29, "/users/0/roles/0"),
        ("D113", 4, 48, "/users/0/team"),
    ]
    assert diagnostics[2].hint == "did you mean 'sales_rep'?"


def test_entities_fields_options_and_order(sales_app: AppSpec) -> None:
    diagnostics = check(
        """
        records:
          customers:
            count: 1
          customer:
            count: 1
            fields:
              levle: {pick: [A]}
              level: {pick: {A: 1, Z: 1}}
              team: {team_of: owner}
              owner: {owner: [sales_rep, seller]}
              industry: {value: farming}
          deal:
            count: 1
            fields:
              contact: {ref: contact}
              customer: {ref: customer, where: {nmae: name}}
              stage: {pick: [won, closed]}
              close_date: {date: [1, 2], from: "@at"}
        """,
        sales_app,
    )
    assert where(diagnostics) == [
        ("D110", 3, 5, "/records/customers"),
        ("D111", 7, 7, "/records/customer/fields/levle"),
        ("D114", 8, 31, "/records/customer/fields/level/pick/Z"),
        ("D115", 9, 23, "/records/customer/fields/team/team_of"),
        ("D112", 10, 34, "/records/customer/fields/owner/owner/1"),
        ("D114", 11, 17, "/records/customer/fields/industry"),
        ("D116", 15, 22, "/records/deal/fields/contact/ref"),
        ("D111", 16, 41, "/records/deal/fields/customer/where/nmae"),
        ("D115", 16, 47, "/records/deal/fields/customer/where/nmae"),
        ("D114", 17, 27, "/records/deal/fields/stage/pick/1"),
        ("D115", 18, 40, "/records/deal/fields/close_date/from"),
    ]
    hints = {d.pointer: d.hint for d in diagnostics}
    assert hints["/records/customers"] == "did you mean 'customer'?"
    assert hints["/records/customer/fields/levle"] == "did you mean 'level'?"
    assert "'@at' is read but the recipe has no 'at'" in diagnostics[-1].message
