"""The checker: names, functions and types, every mistake a located X1xx problem."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import pytest

from engine.expr import CheckedExpr, FunctionType, Scope, ValueType, check_expression
from engine.expr.nodes import Call, Compare, Literal

Check = Callable[..., CheckedExpr]
Registry = Mapping[str, FunctionType]


def codes(checked: CheckedExpr) -> list[str]:
    return [p.code for p in checked.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount", ValueType.MONEY),
        ("amount * 2", ValueType.MONEY),
        ("amount / 4", ValueType.MONEY),
        ("amount / amount", ValueType.NUMBER),
        ("seats + 1", ValueType.INTEGER),
        ("seats / 2", ValueType.NUMBER),
        ("seats % 2", ValueType.INTEGER),
        ("discount + discount", ValueType.PERCENT),
        ("probability * seats", ValueType.NUMBER),
        ("name + '!'", ValueType.TEXT),
        ("amount > 500000", ValueType.BOOLEAN),
        ("owner", ValueType.USER),
        ("owner.team", ValueType.TEAM),
        ("owner.manager.manager.email", ValueType.TEXT),
        ("customer", ValueType.record("customer")),
        ("customer.owner.name", ValueType.TEXT),
        ("sum(lines.price)", ValueType.MONEY),
        ("count(lines)", ValueType.INTEGER),
        ("None", ValueType.NULL),
        ("coalesce(amount, 0)", ValueType.MONEY),
        ("amount if is_key else 0", ValueType.MONEY),
        ("round(amount, 2)", ValueType.MONEY),
        ("round(probability)", ValueType.INTEGER),
        ("today()", ValueType.DATE),
        ("now()", ValueType.DATETIME),
        ("date(created_at)", ValueType.DATE),
        ("me()", ValueType.USER),
        ("-amount", ValueType.MONEY),
    ],
)
def test_inferred_types(check: Check, text: str, expected: ValueType) -> None:
    checked = check(text)
    assert checked.problems == ()
    assert checked.type == expected


def test_unknown_field_with_did_you_mean(check: Check) -> None:
    (problem,) = check("amout > 5").problems
    assert problem.code == "X103"
    assert problem.message == "unknown field 'amout' in deal"
    assert problem.hint == "did you mean 'amount'?"
    assert (problem.offset, problem.end) == (0, 5)


def test_unknown_member_names_the_related_entity(check: Check) -> None:
    (problem,) = check("customer.levl == 'A'").problems
    assert problem.code == "X103"
    assert problem.message == "unknown field 'levl' in customer"
    assert problem.hint == "did you mean 'level'?"
    assert (problem.offset, problem.end) == (9, 13)


def test_unknown_member_of_a_user(check: Check) -> None:
    (problem,) = check("owner.manger.name").problems
    assert problem.message == "unknown field 'manger' in user"
    assert problem.hint == "did you mean 'manager'?"
    assert (problem.offset, problem.end) == (6, 12)


def test_unknown_name_without_entity_and_without_close_match(
    scope: Scope, functions: Registry
) -> None:
    (problem,) = check_expression("zzz", scope, functions).problems
    assert problem.message == "unknown name 'zzz'"
    assert problem.hint is not None and problem.hint.startswith("known names: amount, ")


def test_function_used_as_a_name(check: Check) -> None:
    (problem,) = check("close_date < today").problems
    assert problem.code == "X103" and problem.hint == "'today' is a function: write today()"


def test_fields_of_a_plain_value(check: Check) -> None:
    (problem,) = check("amount.value").problems
    assert problem.code == "X103"
    assert problem.message == "'amount' is a money value and has no fields"


@pytest.mark.parametrize(
    ("text", "expect", "message"),
    [
        ("name", ValueType.MONEY, "expected money, but the expression gives text"),
        ("owner", ValueType.TEXT, "expected text, but the expression gives a user"),
        ("seats", ValueType.DATE, "expected a date, but the expression gives an integer"),
        (
            "customer",
            ValueType.PERCENT,
            "expected a percentage, but the expression gives a link to customer",
        ),
    ],
)
def test_expected_types_are_named_as_a_sentence_would(
    check: Check, text: str, expect: ValueType, message: str
) -> None:
    (problem,) = check(text, expect=expect).problems
    assert (problem.code, problem.message) == ("X106", message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("close_date > '2026-02-30'", "'2026-02-30' is not a real date: February 2026 has 28 days"),
        ("close_date > '2024-13-01'", "'2024-13-01' is not a real date: there is no month 13"),
        ("close_date > '1/2/2024'", "'1/2/2024' is not a date (write it as 'YYYY-MM-DD')"),
    ],
)
def test_impossible_dates_say_why(check: Check, text: str, message: str) -> None:
    (problem,) = check(text).problems
    assert (problem.code, problem.message) == ("X110", message)


def test_unknown_function_with_did_you_mean(check: Check) -> None:
    (problem,) = check("lowr(name)").problems
    assert problem.code == "X104"
    assert problem.message == "unknown function 'lowr()'"
    assert problem.hint == "did you mean 'lower'?"
    assert (problem.offset, problem.end) == (0, 4)


def test_field_called_like_a_function(check: Check) -> None:
    (problem,) = check("amount(1)").problems
    assert problem.code == "X104" and problem.hint == "'amount' is a field, not a function"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("round(amount, 2, 3)", "round() takes 1 to 2 arguments, got 3"),
        ("today(1)", "today() takes 0 arguments, got 1"),
        ("coalesce()", "coalesce() takes at least 1 argument, got 0"),
        ("max(amount)", "max() takes at least 2 arguments, got 1"),
    ],
)
def test_wrong_number_of_arguments(check: Check, text: str, message: str) -> None:
    (problem,) = check(text).problems
    assert (problem.code, problem.message, problem.offset) == ("X105", message, 0)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("amount > 'abc'", 0, "cannot compare money with text"),
        ("'a' - 1", 0, "'-' cannot combine text and integer"),
        ("name + 1", 0, "'+' cannot combine text and integer"),
        ("not 5", 4, "'not' needs true/false values, got an integer"),
        ("amount and is_key", 0, "'and' needs true/false values, got money"),
        ("-name", 0, "'-' needs a number, got text"),
        ("len(amount)", 4, "argument 1 of len() must be text, got money"),
        ("year(name)", 5, "argument 1 of year() must be a date, got text"),
        ("add_days(close_date, 1.5)", 21, "argument 2 of add_days() must be integer, got number"),
        ("amount % 2", 0, "'%' needs whole numbers (integer), got money % integer"),
        ("is_key < true", 0, "'<' cannot order true/false values; use '==' or '!='"),
        ("owner < me()", 0, "'<' cannot order user values; use '==' or '!='"),
        ("1 if is_key else 'x'", 0, "both results of 'if … else' must be of one kind"),
        ("close_date + 1", 0, "'+' cannot combine date and integer"),
        ("coalesce(amount, name)", 9, "the arguments of coalesce() must be of one kind"),
        ("sum(amount)", 4, "argument 1 of sum() must be a subform column"),
        ("lines.price > 3", 0, "'lines.price' holds one value per subform row"),
        ("close_date in [1]", 15, "cannot compare date with integer"),
    ],
)
def test_type_mismatches(check: Check, text: str, offset: int, message: str) -> None:
    problems = check(text).problems
    assert [p.code for p in problems] == ["X106"], problems
    assert problems[0].offset == offset
    assert problems[0].message.startswith(message)


def test_hints_for_common_type_mistakes(check: Check) -> None:
    assert check("amount > '5'").problems[0].hint == "write numbers without quotes: 5, not '5'"
    assert check("stage in [1, '2']").problems[0].hint is None  # text, and no quoted number
    assert (
        check("amount in [1, '2']").problems[0].hint == "write numbers without quotes: 2, not '2'"
    )
    # a real text compared with a number: no hint about quotes
    assert check("amount > 'big'").problems[0].hint is None
    assert "add_days" in (check("close_date + 1").problems[0].hint or "")
    assert "days_between" in (check("close_date - start_date").problems[0].hint or "")


@pytest.mark.parametrize(
    ("text", "hint"), [("amount == None", "amount is None"), ("None != x.y", "x.y is not None")]
)
def test_equality_with_none_is_x108(
    scope: Scope, functions: Registry, text: str, hint: str
) -> None:
    problems = check_expression(text, scope, functions).problems
    assert problems[0].code == "X108" and hint in (problems[0].hint or "")


def test_all_problems_are_reported_sorted(check: Check) -> None:
    checked = check("amout > 1 and lowr(name) and len(seats) > 0")
    assert codes(checked) == ["X103", "X104", "X106"]
    assert [p.offset for p in checked.problems] == sorted(p.offset for p in checked.problems)


def test_expected_type(check: Check) -> None:
    assert check("amount > 5", expect=ValueType.BOOLEAN).ok
    assert check("None", expect=ValueType.BOOLEAN).ok
    assert check("seats * 2", expect=ValueType.MONEY).ok
    (problem,) = check("amount", expect=ValueType.BOOLEAN).problems
    assert problem.code == "X106"
    assert problem.message == "expected a true/false condition, but the expression gives money"
    assert check("today()", expect=ValueType.DATETIME).problems[0].code == "X106"


def test_sql_target_rejects_subform_aggregates(check: Check) -> None:
    assert check("sum(lines.price) > 5").ok
    (problem,) = check("sum(lines.price) > 5", sql=True).problems
    assert problem.code == "X107" and (problem.offset, problem.end) == (0, 3)
    assert "roll-up" in (problem.hint or "")


def test_names_used_lists_each_path_once_in_order(check: Check) -> None:
    checked = check("amount > 5 and owner.team == customer.owner.team and amount < 9")
    assert checked.names_used == (("amount",), ("owner", "team"), ("customer", "owner", "team"))
    assert check("count(lines) + sum(lines.qty)").names_used == (("lines",), ("lines", "qty"))


def test_functions_used_are_carried_for_the_compilers(check: Check) -> None:
    checked = check("round(amount) > 1 and created_at == today()")
    assert set(checked.functions) == {"round", "today", "date"}


def test_text_literal_next_to_a_date_becomes_a_date(check: Check) -> None:
    root = check("close_date >= '2024-01-31'").root
    assert isinstance(root, Compare) and isinstance(root.right, Literal)
    assert root.right.value == date(2024, 1, 31) and root.right.type == ValueType.DATE
    call = check("add_months('2024-01-31', 1)").root
    assert isinstance(call, Call) and isinstance(call.args[0], Literal)
    assert call.args[0].value == date(2024, 1, 31)


@pytest.mark.parametrize("literal", ["'2024-02-30'", "'2024-1-5'", "'soon'"])
def test_bad_date_literal(check: Check, literal: str) -> None:
    (problem,) = check(f"close_date < {literal}").problems
    assert problem.code == "X110" and problem.offset == 13


def test_datetime_against_date_compares_the_day(check: Check) -> None:
    root = check("created_at == today()").root
    assert isinstance(root, Compare) and isinstance(root.left, Call)
    assert root.left.name == "date" and root.left.type == ValueType.DATE
    member = check("created_at in ['2024-05-17', today()]").root
    assert member is not None and "date" in check("created_at in [today()]").functions


def test_a_subform_is_not_one_value(check: Check) -> None:
    (problem,) = check("lines").problems
    assert problem.code == "X106" and problem.hint == "count the rows: count(lines)"


def test_lists_only_after_in(check: Check) -> None:
    assert codes(check("coalesce([1], 2)")) == ["X106"]


def test_custom_registry_and_scope(scope: Scope) -> None:
    from engine.expr import function_registry

    double = FunctionType(
        "double",
        1,
        1,
        (frozenset({ValueType.NUMBER.kind}),),
        ValueType.NUMBER,
        lambda context, x: x * 2,
        "twice the number",
    )
    registry = function_registry([double])
    assert check_expression("double(probability)", scope, registry).ok
    assert codes(check_expression("double(probability)", scope, registry, sql=True)) == ["X107"]
    assert codes(check_expression("today()", scope, registry)) == ["X104"]
