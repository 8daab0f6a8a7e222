"""The plugin manager: registers the built-ins, plugin folders and installed packages, and
collects what they declare into one `Registry` with P diagnostics for every problem.

Nothing a plugin does (failing to import, raising in a hook, declaring a bad schema, reusing
a name) escapes as an exception: it becomes a diagnostic, and the rest still loads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import pluggy

import engine.builtins
from engine.diagnostics import Diagnostic, did_you_mean
from engine.expr import FunctionType
from engine.plugins import hookspecs
from engine.plugins.declarations import (
    Declaration,
    Origin,
    check_declaration,
    check_plugin_info,
)
from engine.plugins.loading import (
    BrokenPlugin,
    register_entry_points,
    register_plugin,
    register_plugin_dir,
)
from engine.spec.registry import (
    BUILTIN_PLUGIN,
    ActionType,
    ChannelType,
    FieldType,
    PluginInfo,
    Registry,
    TriggerType,
)

__all__ = ["build_plugin_manager", "collect_registry", "default_registry"]

# hook name → (registry attribute, declaration class, what it is called in messages)
_KINDS: tuple[tuple[str, str, type, str], ...] = (
    ("formwork_field_types", "field_types", FieldType, "field type"),
    ("formwork_trigger_types", "trigger_types", TriggerType, "trigger type"),
    ("formwork_action_types", "action_types", ActionType, "action type"),
    ("formwork_channels", "channels", ChannelType, "channel"),
    ("formwork_functions", "functions", FunctionType, "function"),
)


def build_plugin_manager(
    plugin_dirs: Sequence[Path] = (), *, entry_points: bool = True
) -> pluggy.PluginManager:
    """A plugin manager with the built-ins, every module of `plugin_dirs` and, unless
    `entry_points` is false, the packages installed under the `formwork` entry point group."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    register_plugin(pm, engine.builtins, BUILTIN_PLUGIN, str(engine.builtins.__file__))
    for directory in plugin_dirs:
        register_plugin_dir(pm, Path(directory))
    if entry_points:
        register_entry_points(pm)
    return pm


def _impl(pm: pluggy.PluginManager, plugin: object, hook: str) -> pluggy.HookImpl | None:
    """This plugin's implementation of `hook`, if it has one."""
    caller: pluggy.HookCaller = getattr(pm.hook, hook)
    for impl in caller.get_hookimpls():
        if impl.plugin is plugin:
            return impl
    return None


def _origin(plugin_name: str, impl: pluggy.HookImpl | None, fallback: str) -> Origin:
    code = getattr(getattr(impl, "function", None), "__code__", None)
    if code is None:
        return Origin(plugin_name, fallback)
    return Origin(plugin_name, code.co_filename, code.co_firstlineno)


def _call(impl: pluggy.HookImpl, origin: Origin, hook: str) -> tuple[Any, list[Diagnostic]]:
    try:
        return impl.function(), []
    except Exception as exc:  # a plugin's bug must not stop the others: report it
        problem = origin.problem(
            "P104", f"the hook {hook}() raised {type(exc).__name__}: {exc}", "fix the hook"
        )
        return None, [problem]


def _unknown_hooks(pm: pluggy.PluginManager, plugin: object, origin: Origin) -> list[Diagnostic]:
    problems = []
    for caller in pm.get_hookcallers(plugin) or ():
        if caller.spec is not None:
            continue
        impl = _impl(pm, plugin, caller.name)
        problems.append(
            _origin(origin.plugin, impl, origin.file).problem(
                "P103",
                f"'{caller.name}' is marked as a hook implementation, but there is no such hook",
                did_you_mean(caller.name, hookspecs.HOOK_NAMES)
                or "hooks: " + ", ".join(hookspecs.HOOK_NAMES),
            )
        )
    return problems


def _plugin_info(
    pm: pluggy.PluginManager, name: str, plugin: object, file: str
) -> tuple[PluginInfo, list[Diagnostic]]:
    module = getattr(plugin, "__name__", type(plugin).__module__)
    derived = PluginInfo(name.rpartition(".")[2], "", {"type": "object"}, module)
    impl = _impl(pm, plugin, "formwork_plugin")
    if impl is None:
        return derived, []
    origin = _origin(derived.name, impl, file)
    info, problems = _call(impl, origin, "formwork_plugin")
    if info is None:
        return derived, problems
    if not isinstance(info, PluginInfo):
        wrong = origin.problem(
            "P105", f"formwork_plugin() returned {_a(type(info).__name__)}, not a PluginInfo"
        )
        return derived, [*problems, wrong]
    return info, check_plugin_info(info, _origin(info.name, impl, file))


class _Collector:
    """Accumulates declarations by kind, reporting duplicates with both origins."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {attr: {} for _, attr, _, _ in _KINDS}
        self.tables["plugins"] = {}
        self.origins: dict[tuple[str, str], Origin] = {}
        self.diagnostics: list[Diagnostic] = []

    def add(self, attribute: str, what: str, name: str, item: Any, origin: Origin) -> None:
        first = self.origins.get((attribute, name))
        if first is not None:
            self.diagnostics.append(
                origin.problem(
                    "P107",
                    f"the {what} '{name}' is already declared by plugin '{first.plugin}' "
                    f"({first.file}:{first.line})",
                    "rename one of them, or remove one of the plugins",
                )
            )
            return
        self.origins[(attribute, name)] = origin
        self.tables[attribute][name] = item

    def registry(self) -> Registry:
        frozen = {attr: MappingProxyType(table) for attr, table in self.tables.items()}
        return Registry(**frozen)


def _a(noun: str) -> str:
    return f"{'an' if noun[0].lower() in 'aeiou' else 'a'} {noun}"


def _stamp(item: Any, plugin: str) -> Any:
    """The declaration with `plugin` set to the plugin that declared it."""
    names = {f.name for f in dataclasses.fields(item)}
    return dataclasses.replace(item, plugin=plugin) if "plugin" in names else item


def _collect_kind(
    collector: _Collector,
    impl: pluggy.HookImpl,
    kind: tuple[str, str, type, str],
    origin: Origin,
) -> None:
    hook, attribute, cls, what = kind
    declared, problems = _call(impl, origin, hook)
    collector.diagnostics.extend(problems)
    if declared is None:
        return
    if not isinstance(declared, list | tuple):
        declared = [declared]
    for item in declared:
        if not isinstance(item, cls):
            collector.diagnostics.append(
                origin.problem(
                    "P105",
                    f"{hook}() returned {_a(type(item).__name__)}, not {_a(cls.__name__)}",
                    f"return a list of {cls.__name__} values",
                )
            )
            continue
        item = cast(Declaration, item)
        item_problems = check_declaration(item, origin)
        collector.diagnostics.extend(item_problems)
        if not item_problems:
            collector.add(attribute, what, item.name, _stamp(item, origin.plugin), origin)


def _collect_plugin(
    pm: pluggy.PluginManager, collector: _Collector, name: str, plugin: object
) -> None:
    file = str(getattr(plugin, "__file__", None) or type(plugin).__module__)
    info, problems = _plugin_info(pm, name, plugin, file)
    collector.diagnostics.extend(problems)
    origin = Origin(info.name, file)
    collector.diagnostics.extend(_unknown_hooks(pm, plugin, origin))
    collector.add("plugins", "plugin", info.name, info, origin)
    for kind in _KINDS:
        impl = _impl(pm, plugin, kind[0])
        if impl is not None:
            _collect_kind(collector, impl, kind, _origin(info.name, impl, file))


def _settings_clashes(collector: _Collector, registry: Registry) -> list[Diagnostic]:
    """P114 when a plugin and a channel of the same name both declare settings."""
    problems = []
    for name, channel in registry.channels.items():
        info = registry.plugins.get(name)
        if info is None or not channel.settings_schema.get("properties"):
            continue
        if info.settings_schema.get("properties"):
            problems.append(
                collector.origins[("plugins", name)].problem(
                    "P114",
                    f"both the plugin '{name}' and the channel '{name}' declare settings, "
                    f"which would share `settings.{name}`",
                    "declare the settings once, in the plugin's settings_schema",
                )
            )
    return problems


def collect_registry(pm: pluggy.PluginManager) -> tuple[Registry, list[Diagnostic]]:
    """Everything the registered plugins declare, and a P diagnostic per problem found."""
    collector = _Collector()
    for name, plugin in pm.list_name_plugin():
        if isinstance(plugin, BrokenPlugin):
            collector.diagnostics.append(plugin.diagnostic)
        elif plugin is not None:
            _collect_plugin(pm, collector, name, plugin)
    registry = collector.registry()
    return registry, [*collector.diagnostics, *_settings_clashes(collector, registry)]


def _relative_to(root: Path) -> Callable[[Diagnostic], Diagnostic]:
    def relocate(diagnostic: Diagnostic) -> Diagnostic:
        path = Path(diagnostic.file)
        if path.is_absolute() and path.is_relative_to(root):
            return dataclasses.replace(diagnostic, file=path.relative_to(root).as_posix())
        return diagnostic

    return relocate


def default_registry(project_root: Path | None) -> tuple[Registry, list[Diagnostic]]:
    """The registry of a project: built-ins, its top-level `plugins/` folder (when there is
    one) and installed packages; diagnostic paths are relative to `project_root`."""
    plugin_dirs: list[Path] = []
    if project_root is not None and (Path(project_root) / "plugins").is_dir():
        plugin_dirs.append(Path(project_root).resolve() / "plugins")
    registry, problems = collect_registry(build_plugin_manager(plugin_dirs))
    if project_root is None:
        return registry, problems
    relocate = _relative_to(Path(project_root).resolve())
    return registry, [relocate(problem) for problem in problems]
