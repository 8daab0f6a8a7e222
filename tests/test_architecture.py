"""The import direction of STYLE.md, enforced: left may import right, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"

# Highest first. A module may import its own layer or any layer after it.
LAYERS: list[set[str]] = [
    {"cli", "web"},
    {"runtime", "seeding"},
    {"plugins"},
    {"builtins"},
    {"automation"},
    {"workflow", "forms"},
    {"storage"},
    {"spec"},
    {"expr"},
    {"diagnostics", "errors"},
]

# Third-party packages allowed only inside one part of the engine (DESIGN.md).
OWNED_IMPORTS = {
    "flask": {"web"},
    "werkzeug": {"web"},
    "wtforms": {"web", "forms"},
    "flask_wtf": {"web"},
    "transitions": {"workflow"},
    "pygal": {"web"},  # charts are drawn by the web layer only (D14)
}
PURE = {"spec", "expr", "diagnostics", "errors"}
IMPURE_FOR_PURE = {"flask", "werkzeug", "wtforms", "sqlalchemy", "alembic", "transitions", "click"}


def layer_of(part: str) -> int:
    for index, names in enumerate(LAYERS):
        if part in names:
            return index
    raise AssertionError(f"engine/{part} is not placed in LAYERS of tests/test_architecture.py")


def part_of(path: Path) -> str:
    rel = path.relative_to(ENGINE)
    return rel.parts[0].removesuffix(".py")


def imported_modules(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            base = path.parent
            for _ in range(node.level - 1):
                base = base.parent
            prefix = ".".join(base.relative_to(ENGINE.parent).parts)
            found.append((f"{prefix}.{node.module}" if node.module else prefix, node.lineno))
    return found


MODULES = sorted(p for p in ENGINE.rglob("*.py") if p.name != "__init__.py" or p.parent != ENGINE)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ENGINE)))
def test_imports_follow_the_layers(path: Path) -> None:
    here = part_of(path)
    mine = layer_of(here)
    problems = []
    for module, line in imported_modules(path):
        top, _, rest = module.partition(".")
        if top == "engine" and rest:
            target = rest.split(".")[0]
            if layer_of(target) < mine:
                problems.append(
                    f"line {line}: engine/{here} imports engine.{target} (a higher layer)"
                )
        owners = OWNED_IMPORTS.get(top)
        if owners is not None and here not in owners:
            problems.append(f"line {line}: {top} may only be imported in engine/{sorted(owners)}")
        if here in PURE and top in IMPURE_FOR_PURE:
            problems.append(f"line {line}: engine/{here} is pure and imports {top}")
    assert not problems, "\n".join(problems)


def test_every_engine_part_is_placed() -> None:
    modules = ENGINE.rglob("*.py")
    parts = {part_of(p) for p in modules if p.parent != ENGINE or p.name != "__init__.py"}
    for part in parts:
        layer_of(part)


def test_test_module_names_are_unique() -> None:
    # Test folders have no __init__.py: two test files with one basename cannot both import.
    tests = Path(__file__).resolve().parent
    names = [p.name for p in tests.rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
