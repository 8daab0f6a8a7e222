"""The parser: allowed constructs become IR, everything else a located X1xx problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.expr import parse_expression
from engine.expr.nodes import (
    Binary,
    Call,
    Compare,
    IsNull,
    Literal,
    Logical,
    Membership,
    Not,
    Path,
    UnaryMinus,
)


def only_problem(text: str) -> tuple[str, int, int, str, str | None]:
    parsed = parse_expression(text)
    assert parsed.root is None
    assert len(parsed.problems) == 1, parsed.problems
    p = parsed.problems[0]
    return p.code, p.offset, p.end, p.message, p.hint


def test_numbers_are_decimal_never_float() -> None:
    root = parse_expression("0.1 + 2").root
    assert isinstance(root, Binary)
    assert isinstance(root.left, Literal) and root.left.value == Decimal("0.1")
    assert isinstance(root.right, Literal) and root.right.value == Decimal(2)
    assert type(root.left.value) is Decimal and type(root.right.value) is Decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [("1_000", Decimal(1000)), ("2.50", Decimal("2.50")), ("1e3", Decimal("1e3"))],
)
def test_number_spellings(text: str, value: Decimal) -> None:
    root = parse_expression(text).root
    assert isinstance(root, Literal) and root.value == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("True", True), ("false", False), ("False", False), ("null", None)],
)
def test_yaml_spellings_of_constants(text: str, value: object) -> None:
    root = parse_expression(text).root
    assert isinstance(root, Literal) and root.value is value


def test_dotted_path() -> None:
    root = parse_expression("owner.manager.username").root
    assert root is not None
    assert root == Path((0, 22), root.type, ("owner", "manager", "username"))


def test_chained_comparison_becomes_and() -> None:
    root = parse_expression("1 < x <= 3").root
    assert isinstance(root, Logical) and root.op == "and"
    first, second = root.operands
    assert isinstance(first, Compare) and first.op == "<" and first.span == (0, 5)
    assert isinstance(second, Compare) and second.op == "<=" and second.span == (4, 10)


def test_membership_is_none_not_and_minus() -> None:
    root = parse_expression("not -x in [1, 2] or y is not None").root
    assert isinstance(root, Logical) and root.op == "or"
    negation, is_null = root.operands
    assert isinstance(negation, Not)
    assert isinstance(negation.operand, Membership)
    assert isinstance(negation.operand.item, UnaryMinus)
    assert isinstance(is_null, IsNull) and is_null.negated


def test_tuple_after_in_is_a_list() -> None:
    root = parse_expression("stage in ('won', 'lost')").root
    assert isinstance(root, Membership) and len(root.options.items) == 2


def test_call_with_positional_arguments() -> None:
    root = parse_expression("round(amount, 2)").root
    assert isinstance(root, Call) and root.name == "round" and len(root.args) == 2


def test_multi_line_text_keeps_offsets() -> None:
    parsed = parse_expression("amount > 5 and\n  stage == 'won'")
    assert parsed.ok
    assert isinstance(parsed.root, Logical)
    assert parsed.root.operands[1].span == (17, 31)


def test_leading_blanks_are_fine_and_offsets_count_them() -> None:
    parsed = parse_expression("  x.y()")
    assert parsed.problems[0].offset == 2


def test_offsets_are_characters_not_utf8_bytes() -> None:
    code, offset, end, _, _ = only_problem("name == '张三' and x[0]")
    assert (code, offset, end) == ("X102", 17, 21)


@pytest.mark.parametrize(
    ("text", "code", "offset", "hint_part"),
    [
        ("amount = 5", "X101", 7, "=="),
        ("a && b", "X101", 3, "and"),
        ("a <> b", "X101", 2, "!="),
        ("round(1, 2", "X101", 5, "("),
        ("", "X101", 0, None),
        ("   ", "X101", 0, None),
        ("name.lower()", "X102", 0, "lower(name)"),
        ("round(x, ndigits=2)", "X102", 9, "position"),
        ("x[0]", "X102", 0, None),
        ("lambda: 1", "X102", 0, None),
        ("[a for a in b]", "X102", 0, None),
        ("f'{a}'", "X102", 0, "concat"),
        ("(y := 3)", "X102", 1, None),
        ("a ** 2", "X102", 0, "x * x"),
        ("a // 2", "X102", 0, "round"),
        ("a & b", "X102", 0, "'and'"),
        ("~a", "X102", 0, "'not'"),
        ("x is 3", "X102", 5, "=="),
        ("x in y", "X102", 5, "contains"),
        ("[1, 2]", "X102", 0, None),
        ("{'a': 1}", "X102", 0, None),
        ("a.__class__", "X102", 0, None),
        ("__import__", "X102", 0, None),
        ("lookup('t').x", "X102", 0, None),
        ("f(*a)", "X102", 2, None),
        ("1j", "X102", 0, None),
        ("b'x'", "X102", 0, None),
        ("amount > 5 # big", "X102", 11, None),
    ],
)
def test_disallowed_and_broken_input(
    text: str, code: str, offset: int, hint_part: str | None
) -> None:
    got_code, got_offset, end, message, hint = only_problem(text)
    assert (got_code, got_offset) == (code, offset), message
    assert end >= got_offset and message
    if hint_part is not None:
        assert hint is not None and hint_part in hint


def test_every_problem_is_reported_not_only_the_first() -> None:
    parsed = parse_expression("a[0] + b.c() + (lambda: 1)")
    assert [p.code for p in parsed.problems] == ["X102", "X102", "X102"]
    assert [p.offset for p in parsed.problems] == [0, 7, 16]


def test_too_long_and_too_deep() -> None:
    assert only_problem("a + " * 3000 + "a")[0] == "X109"
    assert only_problem("(" * 300 + "a" + ")" * 300)[0] == "X109"
    assert only_problem("-" * 150 + "a")[0] == "X109"


def test_null_byte_is_a_problem_not_a_crash() -> None:
    assert parse_expression("a\x00").problems[0].code in {"X101", "X109"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stage = 'lost'", "this is not a complete expression"),
        ("amount >", "this is not a complete expression"),
        ("round(1, 2", "'(' is opened but never closed"),
        ("a)", "')' closes nothing: there is no matching opening bracket"),
        ("name == 'x", "a text value is missing its closing quote"),
        ("07 > a", "a number cannot start with 0 (write 7, not 07)"),
        ("1a > b", "this is not a valid number"),
        ("a if b", "'a if condition' needs an 'else': a if condition else b"),
        ("f(a b)", "two values stand next to each other with no operator"),
    ],
)
def test_syntax_errors_are_said_in_the_words_of_the_language(text: str, message: str) -> None:
    (problem,) = parse_expression(text).problems
    assert (problem.code, problem.message) == ("X101", message)
    assert "syntax" not in problem.message and "invalid" not in problem.message


def test_a_hint_that_repeats_the_message_is_dropped() -> None:
    (problem,) = parse_expression("name == 'x").problems
    assert problem.hint is None


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("name.lower()", "write lower(name) instead of name.lower()"),
        ("name.startswith('A')", "write startswith(name, 'A') instead of name.startswith('A')"),
        ("name.strip()", "write trim(name) instead of name.strip()"),
        (
            "email.endswith('@acme.com')",
            "there is no function endswith(): see docs/expressions.md for the functions",
        ),
    ],
)
def test_a_method_call_hint_names_a_real_function_and_keeps_the_arguments(
    text: str, hint: str
) -> None:
    functions = {"lower", "startswith", "trim", "contains"}
    (problem,) = parse_expression(text, functions=functions).problems
    assert (problem.code, problem.hint) == ("X102", hint)


def test_without_the_function_names_a_method_call_is_rewritten_as_written() -> None:
    (problem,) = parse_expression("name.left(3)").problems
    assert problem.hint == "write left(name, 3) instead of name.left(3)"


def test_a_list_may_be_the_whole_text_when_asked() -> None:
    assert parse_expression("['a', 'b']", list_ok=True).ok
    assert parse_expression("['a', 'b']").problems[0].code == "X102"
