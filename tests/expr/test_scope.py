"""Scopes: the standard user and team shapes, lazily followed relations."""

from __future__ import annotations

from engine.expr import (
    MemberWords,
    Symbol,
    TypeKind,
    ValueType,
    builtin_registry,
    check_expression,
    record_symbol,
    team_members,
    team_symbol,
    user_members,
    user_symbol,
)


def test_user_and_team_shapes() -> None:
    assert set(user_members()) == {"username", "name", "email", "team", "manager"}
    assert set(team_members()) == {"id", "name", "manager", "parent"}
    assert user_members()["manager"].type == ValueType.USER
    assert user_members()["team"].type == ValueType.TEAM
    assert team_members()["id"].type == ValueType.INTEGER
    assert team_members(ValueType.TEXT)["id"].type == ValueType.TEXT


def test_cyclic_relations_are_followed_lazily() -> None:
    scope = {"owner": user_symbol("owner"), "team": team_symbol("team")}
    checked = check_expression(
        "owner.manager.manager.manager.team.parent.manager.username == me() and team.id == 3",
        scope,
        builtin_registry(),
    )
    assert checked.ok


def test_links_between_entities_can_be_cyclic() -> None:
    def deal() -> dict[str, Symbol]:
        return {"amount": Symbol("amount", ValueType.MONEY), "customer": customer_link}

    def customer() -> dict[str, Symbol]:
        return {"name": Symbol("name", ValueType.TEXT), "last_deal": deal_link}

    customer_link = record_symbol("customer", "customer", customer)
    deal_link = record_symbol("last_deal", "deal", deal)
    scope = {"this": record_symbol("this", "deal", deal)}
    checked = check_expression("this.customer.last_deal.customer.name", scope, builtin_registry())
    assert checked.ok and checked.type == ValueType.TEXT
    assert checked.names_used == (("this", "customer", "last_deal", "customer", "name"),)


def test_subform_symbol_is_a_list_of_records() -> None:
    lines = record_symbol("lines", "line", dict, many=True)
    assert lines.type.kind is TypeKind.LIST
    assert lines.type.element == ValueType.record("line")
    assert lines.member_table() == {}
    assert Symbol("x", ValueType.TEXT).member_table() == {}


def test_members_can_be_named_other_than_fields() -> None:
    outputs = {"tier": Symbol("tier", ValueType.TEXT)}
    words = MemberWords("output", "of decision table 'bonus_tiers'")
    band = Symbol("band", ValueType.ANY, lambda: outputs, member_words=words)
    checked = check_expression("band.tierr", {"band": band}, builtin_registry())
    (problem,) = checked.problems
    assert problem.message == "unknown output 'tierr' of decision table 'bonus_tiers'"
    assert problem.hint == "did you mean 'tier'?"
