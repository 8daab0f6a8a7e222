"""Loading plugins by file path and from installed packages' entry points."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pluggy
import pytest

from engine.plugins import BrokenPlugin, build_plugin_manager, collect_registry
from engine.plugins.loading import load_plugin_file, register_entry_points


def test_a_plugin_file_is_imported_under_the_formwork_plugins_prefix(tmp_path: Path) -> None:
    path = tmp_path / "hello.py"
    path.write_text("NAME = __name__\n", encoding="utf-8")
    module = load_plugin_file(path)
    assert (module.NAME, module.__file__) == ("formwork_plugins.hello", str(path))
    assert "formwork_plugins.hello" not in sys.modules
    assert str(tmp_path) not in sys.path


def test_a_previous_module_of_the_same_name_is_restored(tmp_path: Path) -> None:
    path = tmp_path / "hello.py"
    path.write_text("X = 1\n", encoding="utf-8")
    sentinel = object()
    sys.modules["formwork_plugins.hello"] = sentinel  # type: ignore[assignment]
    try:
        load_plugin_file(path)
        assert sys.modules["formwork_plugins.hello"] is sentinel
    finally:
        del sys.modules["formwork_plugins.hello"]


def _entry_points(monkeypatch: pytest.MonkeyPatch, *points: importlib.metadata.EntryPoint) -> None:
    def fake(group: str) -> list[importlib.metadata.EntryPoint]:
        return [p for p in points if p.group == group]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake)


def test_entry_points_register_installed_plugins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "formwork_fax.py").write_text(
        "from engine.plugins import ChannelType, hookimpl\n"
        "@hookimpl\n"
        "def formwork_channels():\n"
        "    return [ChannelType('fax', 'Fax.', {'type': 'object'})]\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    _entry_points(
        monkeypatch,
        importlib.metadata.EntryPoint("fax", "formwork_fax", "formwork"),
        importlib.metadata.EntryPoint("other", "formwork_fax", "elsewhere"),
    )
    registry, problems = collect_registry(build_plugin_manager())
    assert problems == []
    assert registry.channels["fax"].plugin == "fax"


def test_an_entry_point_that_fails_to_load_is_p100(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "formwork_bad.py").write_text("import nowhere_to_be_found\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    _entry_points(monkeypatch, importlib.metadata.EntryPoint("bad", "formwork_bad", "formwork"))
    pm = pluggy.PluginManager("formwork")
    register_entry_points(pm)
    [(_, plugin)] = pm.list_name_plugin()
    assert isinstance(plugin, BrokenPlugin)
    problem = plugin.diagnostic
    assert (problem.code, problem.file, problem.line) == (
        "P100",
        str(tmp_path / "formwork_bad.py"),
        1,
    )
    assert problem.message.startswith(
        "the plugin of entry point bad = formwork_bad could not be imported: ModuleNotFoundError"
    )
