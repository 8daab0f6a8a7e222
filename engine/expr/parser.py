"""Expression text → IR, through Python's `ast` and an allow-list of constructs.

Only the constructs of the language survive the conversion; everything else (subscripts,
lambdas, comprehensions, keyword arguments, method calls, f-strings …) is reported as a
problem with a span and, where there is one, the construct to use instead. Number
literals become `Decimal`, never float. Names are not resolved here: see `checker`.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections.abc import Collection
from dataclasses import dataclass

from engine.expr.nodes import Node
from engine.expr.problems import ExprProblem
from engine.expr.syntax import Converter

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "ParsedExpr", "parse_expression"]

MAX_LENGTH = 10_000
"""Longest expression text accepted (characters)."""

MAX_DEPTH = 100
"""Deepest nesting accepted; deeper trees are reported as X109."""


@dataclass(frozen=True, slots=True)
class ParsedExpr:
    """The result of parsing: the IR root (None when there are problems) and the problems."""

    text: str
    root: Node | None
    problems: tuple[ExprProblem, ...]

    @property
    def ok(self) -> bool:
        """True when the text parsed without problems."""
        return self.root is not None and not self.problems


def _syntax_hint(text: str) -> str | None:
    if re.search(r"&&|\|\|", text):
        return "write 'and' / 'or' instead of '&&' / '||'"
    if "<>" in text:
        return "write '!=' for 'not equal'"
    if re.search(r"(?<![=!<>])=(?!=)", text):
        return "compare with '==' (a single '=' assigns, which expressions cannot do)"
    if text.count("(") != text.count(")"):
        return "check that every '(' has a matching ')'"
    if text.count("'") % 2 or text.count('"') % 2:
        return "a text value is missing its closing quote"
    return None


# Python's syntax errors, said in the words of the expression language (first match wins).
_SYNTAX_WORDS: tuple[tuple[str, str], ...] = (
    ("Perhaps you forgot a comma", "two values stand next to each other with no operator"),
    ("unterminated", "a text value is missing its closing quote"),
    ("was never closed", "{bracket} is opened but never closed"),
    ("unmatched", "{bracket} closes nothing: there is no matching opening bracket"),
    ("leading zeros", "a number cannot start with 0 (write 7, not 07)"),
    ("invalid decimal literal", "this is not a valid number"),
    ("invalid digit", "this is not a valid number"),
    ("expected 'else'", "'a if condition' needs an 'else': a if condition else b"),
)
_INCOMPLETE = "this is not a complete expression"


def _syntax_message(python_message: str) -> str:
    bracket = re.search(r"'(.)'", python_message)
    for needle, words in _SYNTAX_WORDS:
        if needle in python_message:
            return words.format(bracket=f"'{bracket.group(1)}'" if bracket else "a bracket")
    return _INCOMPLETE


def _syntax_problem(text: str, error: SyntaxError, shift: int) -> ExprProblem:
    message = _syntax_message(error.msg or "")
    start = (error.offset - 1 + shift) if error.offset and error.offset > 0 else len(text)
    start = min(start, len(text))
    end = error.end_offset - 1 + shift if error.end_offset and error.end_offset > 0 else start
    end = max(start, min(end, len(text)))
    hint = _syntax_hint(text)
    return ExprProblem("X101", message, start, end, None if hint == message else hint)


def _comment_problems(source: str, shift: int) -> list[ExprProblem]:
    found: list[ExprProblem] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                start = token.start[1] + shift
                found.append(
                    ExprProblem(
                        "X102",
                        "comments ('#') are not allowed in expressions",
                        start,
                        start + len(token.string),
                        "put explanations in the YAML around the expression",
                    )
                )
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _prepare(text: str) -> tuple[str, int]:
    """Newlines → spaces (same offsets, so multi-line YAML works) and leading blanks cut."""
    flat = text.replace("\r", " ").replace("\n", " ")
    stripped = flat.lstrip(" \t\f")
    return stripped, len(flat) - len(stripped)


def _parse_ast(text: str) -> tuple[ast.expr | None, str, int, list[ExprProblem]]:
    if len(text) > MAX_LENGTH:
        message = f"the expression is {len(text)} characters long (at most {MAX_LENGTH})"
        return None, text, 0, [ExprProblem("X109", message, 0, len(text))]
    source, shift = _prepare(text)
    if not source.strip():
        return None, source, shift, [ExprProblem("X101", "the expression is empty", 0, len(text))]
    try:
        with warnings.catch_warnings():
            # e.g. "invalid escape sequence": the text is checked by us, not run by Python.
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        if "nested parentheses" in (error.msg or ""):
            problem = ExprProblem("X109", "the expression is nested too deeply", 0, len(text))
            return None, source, shift, [problem]
        return None, source, shift, [_syntax_problem(text, error, shift)]
    except (RecursionError, MemoryError, ValueError):
        problem = ExprProblem("X109", "the expression is too long or nested too deeply", 0, 0)
        return None, source, shift, [problem]
    return tree.body, source, shift, _comment_problems(source, shift)


def parse_expression(
    text: str, *, functions: Collection[str] | None = None, list_ok: bool = False
) -> ParsedExpr:
    """Parse expression text into the IR; problems (X101, X102, X109, X110) never raise.

    `functions` are the names that may be called (hints name only real ones); `list_ok`
    accepts a list literal as the whole text (a decision-table cell's `in [...]`).
    """
    body, source, shift, problems = _parse_ast(text)
    if body is None:
        return ParsedExpr(text, None, tuple(problems))
    converter = Converter(source, shift, MAX_DEPTH, functions)
    root = converter.convert(body, list_ok=list_ok)
    problems.extend(converter.problems)
    if problems:
        return ParsedExpr(text, None, tuple(sorted(problems, key=lambda p: p.offset)))
    return ParsedExpr(text, root, ())
