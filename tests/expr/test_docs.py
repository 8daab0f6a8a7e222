"""docs/expressions.md documents every built-in function and every X code."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.expr import BUILTIN_FUNCTIONS, CODES, FunctionType

DOC = (Path(__file__).resolve().parents[2] / "docs" / "expressions.md").read_text("utf-8")
FUNCTIONS_SECTION = DOC.split("## Functions", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("function", BUILTIN_FUNCTIONS, ids=lambda f: f.name)
def test_every_builtin_function_is_documented(function: FunctionType) -> None:
    rows = [
        line for line in FUNCTIONS_SECTION.splitlines() if line.startswith(f"| `{function.name}(")
    ]
    assert len(rows) == 1, f"docs/expressions.md has no row for {function.name}()"
    assert function.description in rows[0]
    assert f"`{function.example}`" in rows[0]


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_problem_code_is_documented(code: str) -> None:
    assert f"| {code} |" in DOC
