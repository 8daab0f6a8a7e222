"""The hook specifications: one per kind, each documented in code and in docs/plugins.md."""

from __future__ import annotations

import inspect
from pathlib import Path

from engine.plugins import HOOK_NAMES, hookspecs

ROOT = Path(__file__).resolve().parents[2]


def _specs() -> dict[str, object]:
    return {
        name: value
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, "formwork_spec")
    }


def test_hook_names_lists_every_spec_in_order() -> None:
    assert sorted(HOOK_NAMES) == sorted(_specs())
    assert HOOK_NAMES[0] == "formwork_plugin"


def test_every_hook_takes_no_arguments_and_has_a_one_line_docstring() -> None:
    for name, spec in _specs().items():
        assert inspect.signature(spec).parameters == {}, name  # type: ignore[arg-type]
        doc = inspect.getdoc(spec) or ""
        assert doc and "\n" not in doc, name


def test_every_hook_is_documented_in_plugins_md() -> None:
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in HOOK_NAMES:
        assert f"### `{name}()`" in text, name
