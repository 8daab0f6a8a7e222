"""The layout rules of the tests themselves. Test folders are not packages, so every
module is imported by its basename: a helper imported as `conftest` resolves to whichever
folder's conftest pytest loaded last (a subset like `pytest tests/runtime tests/web` then
fails to collect), and a support module must sit in a folder on pytest's `pythonpath`."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_imports_a_conftest() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(TESTS.rglob("*.py"))
        if "conftest" in _imported_modules(path)
    ]
    assert offenders == [], "import helpers from a named support module, not conftest"


def test_every_module_basename_is_unique() -> None:
    names = [p.name for p in TESTS.rglob("*.py") if p.name != "conftest.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_support_modules_shared_across_folders_are_on_the_pytest_pythonpath() -> None:
    # pytest puts a test module's own folder on sys.path, so a helper next to its users
    # always imports; one imported from another folder needs its folder on `pythonpath`
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pythonpath = {ROOT / entry for entry in config["tool"]["pytest"]["ini_options"]["pythonpath"]}
    support = {
        path.stem: path
        for path in TESTS.rglob("*.py")
        if not path.name.startswith("test_") and path.name != "conftest.py"
    }
    assert "runtime_support" in support and "web_support" in support
    missing = sorted(
        f"{user.relative_to(ROOT)} imports {support[name].relative_to(ROOT)}"
        for user in TESTS.rglob("*.py")
        for name in _imported_modules(user) & set(support)
        if support[name].parent != user.parent and support[name].parent not in pythonpath
    )
    assert missing == [], "add their folders to [tool.pytest.ini_options] pythonpath"
