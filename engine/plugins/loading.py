"""Finding and importing plugins: modules in plugin folders and setuptools entry points.

A plugin that cannot be loaded is not fatal: a :class:`BrokenPlugin` carrying a P
diagnostic is registered in its place, so `collect_registry` reports every problem at once.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pluggy

from engine.diagnostics import Diagnostic

__all__ = [
    "ENTRY_POINT_GROUP",
    "PLUGIN_MODULE_PREFIX",
    "BrokenPlugin",
    "load_plugin_file",
    "register_entry_points",
    "register_plugin",
    "register_plugin_dir",
]

ENTRY_POINT_GROUP = "formwork"
PLUGIN_MODULE_PREFIX = "formwork_plugins"


@dataclass(frozen=True, eq=False)
class BrokenPlugin:
    """Stands in the plugin manager for a plugin that could not be loaded."""

    diagnostic: Diagnostic


def _failure(exc: BaseException, file: str, what: str) -> Diagnostic:
    """A P100 for an exception raised while importing `file`, at the plugin's own line."""
    line, col = 0, 0
    if isinstance(exc, SyntaxError) and exc.filename == file:
        line, col = exc.lineno or 0, exc.offset or 0
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == file:
                line, col = frame.lineno or 0, (frame.colno or 0) + 1
    return Diagnostic(
        code="P100",
        message=f"{what} could not be imported: {type(exc).__name__}: {exc}",
        file=file,
        line=line,
        col=col if line else 0,
        hint="fix the error, or move the file out of the plugins folder to disable the plugin",
    )


def load_plugin_file(path: Path) -> ModuleType:
    """Import one plugin file as `formwork_plugins.<stem>` (raises what the import raises)."""
    name = f"{PLUGIN_MODULE_PREFIX}.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    # The module is visible in sys.modules only while it runs (dataclasses and typing look it
    # up there); afterwards the previous entry comes back, so two projects loaded in one
    # process never see each other's plugins.
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    return module


def register_plugin(pm: pluggy.PluginManager, plugin: object, name: str, file: str) -> None:
    """Register `plugin`; when pluggy refuses it, register a BrokenPlugin saying why."""
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        problem = Diagnostic(
            code="P102",
            message=f"the plugin '{name}' could not be registered: {exc}",
            file=file,
            hint="hooks take no arguments; plugin file names must be unique across folders",
        )
        pm.register(BrokenPlugin(problem), name=f"broken:{name}:{file}")


def _register_broken(pm: pluggy.PluginManager, problem: Diagnostic) -> None:
    pm.register(BrokenPlugin(problem), name=f"broken:{problem.code}:{problem.file}")


def register_plugin_dir(pm: pluggy.PluginManager, directory: Path) -> None:
    """Register every `*.py` module of `directory` (files starting with `_` are skipped)."""
    if not directory.is_dir():
        problem = Diagnostic(
            code="P101",
            message=f"the plugin folder '{directory}' does not exist",
            file=str(directory),
            hint="create it, or stop passing it as a plugin folder",
        )
        _register_broken(pm, problem)
        return
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            module = load_plugin_file(path)
        except Exception as exc:  # a broken plugin must not stop the others: report it
            _register_broken(pm, _failure(exc, str(path), f"the plugin '{path.name}'"))
            continue
        register_plugin(pm, module, f"{PLUGIN_MODULE_PREFIX}.{path.stem}", str(path))


def register_entry_points(pm: pluggy.PluginManager, group: str = ENTRY_POINT_GROUP) -> None:
    """Register the objects installed packages declare under the `formwork` entry point group."""
    for entry_point in importlib.metadata.entry_points(group=group):
        where = f"entry point {entry_point.name} = {entry_point.value}"
        if pm.has_plugin(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken package must not stop the others: report it
            file = _origin_file(entry_point.module) or where
            _register_broken(pm, _failure(exc, file, f"the plugin of {where}"))
            continue
        file = getattr(plugin, "__file__", None) or where
        register_plugin(pm, plugin, entry_point.name, file)


def _origin_file(module: str) -> str | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None
