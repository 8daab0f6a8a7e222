"""The built-in plugin: every field type, trigger, action, channel and expression function
Formwork ships with, registered through the same hooks as third-party plugins.

This package is one plugin: the plugin manager registers the package module, whose hook
implementations are the ones re-exported below from the concept modules.
"""

from __future__ import annotations

from engine.builtins.actions import formwork_action_types
from engine.builtins.channels import formwork_channels
from engine.builtins.field_types import formwork_field_types
from engine.builtins.functions import formwork_functions
from engine.builtins.hooks import hookimpl
from engine.builtins.triggers import formwork_trigger_types
from engine.spec.registry import BUILTIN_PLUGIN, PluginInfo

__all__ = [
    "formwork_action_types",
    "formwork_channels",
    "formwork_field_types",
    "formwork_functions",
    "formwork_plugin",
    "formwork_trigger_types",
]


@hookimpl
def formwork_plugin() -> PluginInfo:
    """The built-in plugin's description (it has no settings of its own)."""
    return PluginInfo(
        name=BUILTIN_PLUGIN,
        description="The field types, triggers, actions, channels and functions Formwork "
        "ships with.",
        settings_schema={"type": "object", "properties": {}, "additionalProperties": False},
        module=__name__,
    )
