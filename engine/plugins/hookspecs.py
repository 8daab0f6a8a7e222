# mypy: disable-error-code="empty-body"
# (a hook specification is a signature and a docstring: pluggy never calls its body)
"""The hook specifications of Formwork plugins: one hook per kind of thing a plugin adds.

A plugin is a module (or any object) with functions marked `@hookimpl` and named after these
specs. Every hook takes no arguments and returns declarations; the plugin manager collects
them into one `Registry`. docs/plugins.md states each hook's contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

from engine.builtins.hooks import PROJECT

if TYPE_CHECKING:
    from engine.expr import FunctionType
    from engine.spec.registry import (
        ActionType,
        ChannelType,
        FieldType,
        PluginInfo,
        TriggerType,
    )

__all__ = ["HOOK_NAMES", "PROJECT", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def formwork_plugin() -> PluginInfo | None:
    """Describe this plugin: its name, purpose and the schema of `settings.<plugin>`."""


@hookspec
def formwork_field_types() -> list[FieldType]:
    """Field types this plugin adds (`type:` of entity fields)."""


@hookspec
def formwork_trigger_types() -> list[TriggerType]:
    """Trigger types this plugin adds (`type:` of automation triggers)."""


@hookspec
def formwork_action_types() -> list[ActionType]:
    """Action types this plugin adds (`type:` of automation and `on_enter` actions)."""


@hookspec
def formwork_functions() -> list[FunctionType]:
    """Functions this plugin adds to the expression language."""


@hookspec
def formwork_channels() -> list[ChannelType]:
    """Notification channels this plugin adds (`channel:` of `notify`)."""


HOOK_NAMES: tuple[str, ...] = (
    "formwork_plugin",
    "formwork_field_types",
    "formwork_trigger_types",
    "formwork_action_types",
    "formwork_functions",
    "formwork_channels",
)
"""Every hook, in the order the registry is collected."""
