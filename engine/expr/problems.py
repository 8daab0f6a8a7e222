"""Problems found in an expression: stable X codes, plain-English messages, exact spans.

Offsets are 0-based character offsets into the expression text as given; the caller adds
where the text starts in its file (see :func:`line_col`). Checking never raises for a
user's mistake: it returns problems. :class:`ExpressionError` is raised only when a
program hands an unchecked or broken expression to a compiler.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.errors import FormworkError

__all__ = [
    "CODES",
    "ExprProblem",
    "ExpressionError",
    "line_col",
]

CODES: dict[str, str] = {
    "X101": "syntax error",
    "X102": "construct not allowed in expressions",
    "X103": "unknown name or field",
    "X104": "unknown function",
    "X105": "wrong number of arguments",
    "X106": "type mismatch",
    "X107": "not usable in a database filter",
    "X108": "comparison with None is never true (use 'is None')",
    "X109": "expression too long or too deeply nested",
    "X110": "invalid literal value",
}
"""Every code the expression checker emits, with its short title (docs/expressions.md)."""


@dataclass(frozen=True, slots=True)
class ExprProblem:
    """One problem: code, message, span [offset, end) in the expression text, hint."""

    code: str
    message: str
    offset: int
    end: int
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.code} at {self.offset}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class ExpressionError(FormworkError):
    """A program compiled an expression that has problems (a bug in the caller)."""

    def __init__(self, text: str, problems: Iterable[ExprProblem]) -> None:
        self.text = text
        self.problems = tuple(problems)
        listed = "; ".join(str(p) for p in self.problems)
        super().__init__(f"expression {text!r} cannot be compiled: {listed}")


def line_col(text: str, offset: int) -> tuple[int, int]:
    """0-based (line, column) of a character offset in a possibly multi-line expression."""
    offset = max(0, min(offset, len(text)))
    before = text[:offset]
    line = before.count("\n")
    column = offset - (before.rfind("\n") + 1)
    return line, column
