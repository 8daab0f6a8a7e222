"""The type registry: every field type, trigger, action, channel, function and plugin an app
may use, as frozen declarations.

The registry is data only. Plugins (built-ins included) declare these values through the
hooks of `engine.plugins`; the plugin manager collects them into one :class:`Registry`; the
schema builder, the spec builder and the runtime read it. Nothing here imports a plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.diagnostics import Diagnostic, did_you_mean
from engine.expr import FunctionType

__all__ = [
    "BUILTIN_PLUGIN",
    "ID_MAX_LENGTH",
    "ID_PATTERN",
    "VALUE_KINDS",
    "ActionType",
    "ChannelType",
    "FieldType",
    "PluginInfo",
    "Registry",
    "TriggerType",
    "validate_app_plugins",
]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
"""Every id of the app language (entities, fields, states, roles, types …)."""

ID_MAX_LENGTH = 48

BUILTIN_PLUGIN = "builtin"
"""The plugin name of everything Formwork ships with."""

VALUE_KINDS = frozenset(
    {
        "text",
        "number",
        "integer",
        "money",
        "percent",
        "boolean",
        "date",
        "datetime",
        "user",
        "team",
        "link",
        "list",
        "subform",
        "attachment",
        "any",
    }
)
"""What a field type stores, as far as expressions and storage are concerned."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class FieldType:
    """A field `type:` (text, money, link, … or a plugin's) and its own keys."""

    name: str
    description: str
    value_kind: str
    options_schema: Mapping[str, Any]
    required_options: tuple[str, ...] = ()
    expression_options: tuple[str, ...] = ()
    plugin: str = BUILTIN_PLUGIN
    # Own keys that take a value: a literal, or an expression when the string starts
    # with `=` (date `min`/`max`). Maps of such values count too (action `values`).
    value_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriggerType:
    """An automation trigger `type:` and its keys beside `type`."""

    name: str
    description: str
    options_schema: Mapping[str, Any]
    required_options: tuple[str, ...] = ()
    expression_options: tuple[str, ...] = ()
    plugin: str = BUILTIN_PLUGIN
    value_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionType:
    """An automation action `type:`, its keys, and which keys hold nested action lists."""

    name: str
    description: str
    options_schema: Mapping[str, Any]
    required_options: tuple[str, ...] = ()
    expression_options: tuple[str, ...] = ()
    plugin: str = BUILTIN_PLUGIN
    nested_actions: tuple[str, ...] = ()
    value_options: tuple[str, ...] = ()
    # `run(ctx, action)`: see engine.automation.context (typed loosely: spec sits below it).
    run: Callable[..., Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ChannelType:
    """A notification channel (inbox, email, webhook, …) and its `settings.<channel>` keys."""

    name: str
    description: str
    settings_schema: Mapping[str, Any]
    plugin: str = BUILTIN_PLUGIN
    # `deliver(message, settings)` for channels that leave the process (through the
    # outbox; see engine.automation.outbox). None: delivered in the transaction (inbox).
    deliver: Callable[..., Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PluginInfo:
    """A plugin: its name, what it is for, and the schema of `settings.<plugin>` in app.yaml."""

    name: str
    description: str
    settings_schema: Mapping[str, Any]
    module: str


@dataclass(frozen=True)
class Registry:
    """Everything the installed plugins declare, by name."""

    field_types: Mapping[str, FieldType] = field(default_factory=lambda: _EMPTY)
    trigger_types: Mapping[str, TriggerType] = field(default_factory=lambda: _EMPTY)
    action_types: Mapping[str, ActionType] = field(default_factory=lambda: _EMPTY)
    channels: Mapping[str, ChannelType] = field(default_factory=lambda: _EMPTY)
    functions: Mapping[str, FunctionType] = field(default_factory=lambda: _EMPTY)
    plugins: Mapping[str, PluginInfo] = field(default_factory=lambda: _EMPTY)


def validate_app_plugins(
    required: Sequence[str], registry: Registry, *, file: str = "app.yaml"
) -> list[Diagnostic]:
    """P130 for every plugin an app lists under `plugins:` that is not installed.

    The caller (which knows the source map) fills in line and column.
    """
    diagnostics = []
    # `builtin` is what Formwork ships with: always there, never listed, never installed.
    installable = sorted(name for name in registry.plugins if name != BUILTIN_PLUGIN)
    for index, name in enumerate(required):
        if name in registry.plugins:
            continue
        installed = ", ".join(installable) or "none"
        diagnostics.append(
            Diagnostic(
                code="P130",
                message=(
                    f"this app needs the plugin '{name}', which is not installed "
                    f"(installed: {installed})"
                ),
                file=file,
                pointer=f"/plugins/{index}",
                hint=did_you_mean(name, installable)
                or f"put {name}.py in the project's plugins/ folder or install its package",
            )
        )
    return diagnostics
