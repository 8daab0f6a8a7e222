"""Formwork plugins (pluggy): the hook specifications, the plugin manager and the registry it
collects. A plugin marks its hook functions with `hookimpl`; see docs/plugins.md."""

from __future__ import annotations

from engine.automation import (
    ActionContext,
    ActionFailed,
    DeliveryFailed,
    OutboxMessage,
    RecordRef,
    TeamRef,
    UserRef,
)
from engine.plugins.hookspecs import HOOK_NAMES, PROJECT, hookimpl, hookspec
from engine.plugins.loading import ENTRY_POINT_GROUP, BrokenPlugin
from engine.plugins.manager import build_plugin_manager, collect_registry, default_registry
from engine.spec.registry import (
    ActionType,
    ChannelType,
    FieldType,
    PluginInfo,
    Registry,
    TriggerType,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "HOOK_NAMES",
    "PROJECT",
    "ActionContext",
    "ActionFailed",
    "ActionType",
    "BrokenPlugin",
    "ChannelType",
    "DeliveryFailed",
    "FieldType",
    "OutboxMessage",
    "PluginInfo",
    "RecordRef",
    "Registry",
    "TeamRef",
    "TriggerType",
    "UserRef",
    "build_plugin_manager",
    "collect_registry",
    "default_registry",
    "hookimpl",
    "hookspec",
]
