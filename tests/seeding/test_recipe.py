"""The recipe grammar: what parses, and every shape error with its code, line:col and
pointer."""

from __future__ import annotations

import textwrap
from datetime import date

from engine.diagnostics import Diagnostic
from engine.seeding import SeedSpec, parse_recipe

FILE = "seed/demo.yaml"


def parse(text: str) -> tuple[SeedSpec | None, list[Diagnostic]]:
    return parse_recipe(textwrap.dedent(text).lstrip(), FILE)


def where(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.line, d.col, d.pointer) for d in diagnostics]


def test_parses_people_pools_and_generators() -> None:
    spec, diagnostics = parse(
        """
        seed: 7
        anchor: 2026-03-02
        pools: {city: [上海, 杭州]}
        teams:
          - {name: hq, manager: boss}
          - {name: east, parent: hq}
        users:
          - {username: boss, name: 王建国, roles: [sales_director], team: hq, locale: zh}
          - {username: root, admin: true}
        records:
          customer:
            count: 3
            at: {moment: [-30, -1]}
            fields:
              name: {template: "{city}{#3}", unique: true}
              level: {pick: {A: 1, B: 2}}
          contact:
            each: {entity: customer, field: customer, count: [1, 3], skew: 2}
            fields:
              owner: {copy: customer.owner}
              is_primary: false
        """
    )
    assert diagnostics == []
    assert spec is not None
    assert (spec.seed, spec.anchor, spec.password) == (7, date(2026, 3, 2), "demo")
    assert spec.pools == {"city": ("上海", "杭州")}
    assert [(t.name, t.manager, t.parent) for t in spec.teams] == [
        ("hq", "boss", None),
        ("east", None, "hq"),
    ]
    boss, root = spec.users
    assert (boss.username, boss.roles, boss.team, boss.admin) == (
        "boss",
        ("sales_director",),
        "hq",
        False,
    )
    assert (root.username, root.roles, root.admin) == ("root", (), True)
    customer, contact = spec.recipes
    assert (customer.entity, customer.count, customer.each) == ("customer", 3, None)
    assert customer.at is not None and customer.at.kind == "moment"
    assert {n: g.kind for n, g in customer.fields.items()} == {"name": "template", "level": "pick"}
    assert customer.fields["name"].pointer == "/records/customer/fields/name"
    assert contact.each is not None
    assert (contact.each.entity, contact.each.low, contact.each.high, contact.each.skew) == (
        "customer",
        1,
        3,
        2.0,
    )
    assert contact.fields["is_primary"].kind == "value"
    assert contact.fields["is_primary"].args == {"value": False}


def test_anchor_today_is_none() -> None:
    spec, _ = parse("anchor: today\n")
    assert spec is not None and spec.anchor is None and spec.seed == 1


def test_shape_errors_are_all_reported_with_positions() -> None:
    _, diagnostics = parse(
        """
        seed: many
        anchor: yesterday
        teems: []
        users:
          - {name: 没有用户名}
        records:
          customer:
            count: 2
            fields:
              level: {pick: {A: 1}, value: B}
              name: {template: "{nowhere}-{bad placeholder}"}
              phone: {integer: [9, 1]}
          deal:
            fields: {}
        """
    )
    assert where(diagnostics) == [
        ("D101", 1, 7, "/seed"),
        ("D105", 2, 9, "/anchor"),
        ("D102", 3, 1, "/teems"),
        ("D103", 5, 5, "/users/0"),
        ("D104", 10, 14, "/records/customer/fields/level"),
        ("D106", 11, 25, "/records/customer/fields/name/template"),
        ("D106", 11, 35, "/records/customer/fields/name/template"),
        ("D105", 12, 24, "/records/customer/fields/phone/integer"),
        ("D103", 14, 5, "/records/deal"),
    ]
    by_code = {d.pointer: d for d in diagnostics}
    assert by_code["/teems"].hint == "did you mean 'teams'?"
    level = by_code["/records/customer/fields/level"]
    assert "needs exactly one of" in level.message and "(found pick, value)" in level.message
    assert level.hint is None
    assert "'count' or 'each'" in by_code["/records/deal"].message


def test_unknown_generator_suggests_the_closest() -> None:
    _, diagnostics = parse(
        """
        records:
          customer:
            count: 1
            fields:
              level: {pik: [A, B]}
        """
    )
    assert where(diagnostics) == [("D104", 5, 14, "/records/customer/fields/level")]
    assert diagnostics[0].hint == "did you mean 'pick'?"


def test_unknown_pool_and_bad_nested_generators() -> None:
    _, diagnostics = parse(
        """
        pools: {city: [上海]}
        records:
          customer:
            count: 1
            fields:
              notes: {chance: 2, then: {pick: citty}}
              level:
                switch: name
                cases: {A: {bogus: 1}}
              owner: {owner: sales_rep}
        """
    )
    assert where(diagnostics) == [
        ("D105", 6, 23, "/records/customer/fields/notes/chance"),
        ("D106", 6, 39, "/records/customer/fields/notes/then/pick"),
        ("D104", 9, 20, "/records/customer/fields/level/cases/A"),
        ("D101", 10, 22, "/records/customer/fields/owner/owner"),
    ]
    assert diagnostics[1].hint == "did you mean 'city'?"


def test_yaml_errors_come_from_the_loader() -> None:
    spec, diagnostics = parse(
        """
        seed: 1
        seed: 2
        """
    )
    assert spec is None
    assert [(d.code, d.line, d.file) for d in diagnostics] == [("Y101", 2, FILE)]
