"""Plugin checks: the app's `plugins:` list, its `settings` keys, and every field, trigger,
action and channel type that comes from a plugin the app does not list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.spec.check_context import CheckContext
from engine.spec.document import Loc
from engine.spec.model import ActionSpec, FieldSpec
from engine.spec.model_values import child_loc
from engine.spec.registry import BUILTIN_PLUGIN, validate_app_plugins

__all__ = ["check_plugins"]


def check_plugins(ctx: CheckContext) -> None:
    """P130 for uninstalled plugins (the registry's check, placed), R114 and R115."""
    app = ctx.app
    for found in validate_app_plugins(app.plugins, ctx.registry, file=app.loc.file):
        ctx.error(found.code, found.message, Loc(found.file, found.pointer), hint=found.hint)
    _check_settings(ctx)
    for entity in app.entities.values():
        _check_fields(ctx, entity.fields)
        if entity.workflow is not None:
            for state in entity.workflow.states.values():
                _check_actions(ctx, state.on_enter)
    for automation in app.automations.values():
        for trigger in automation.triggers:
            declared = ctx.registry.trigger_types.get(trigger.type)
            if declared is not None:
                _require(
                    ctx,
                    "trigger type",
                    trigger.type,
                    declared.plugin,
                    child_loc(trigger.loc, "type"),
                )
        _check_actions(ctx, automation.actions)


def _require(ctx: CheckContext, what: str, name: str, plugin: str, loc: Loc) -> None:
    if plugin == BUILTIN_PLUGIN or plugin in ctx.app.plugins:
        return
    ctx.error(
        "R114",
        f"the {what} '{name}' comes from the plugin '{plugin}', which this app does not list",
        loc,
        hint=f"add '{plugin}' to `plugins:` in {ctx.app.loc.file}",
    )


def _check_fields(ctx: CheckContext, fields: Mapping[str, FieldSpec]) -> None:
    for spec in fields.values():
        declared = ctx.registry.field_types.get(spec.type)
        if declared is not None and not spec.implicit:
            _require(ctx, "field type", spec.type, declared.plugin, child_loc(spec.loc, "type"))
        _check_fields(ctx, spec.subfields)


def _check_actions(ctx: CheckContext, actions: Iterable[ActionSpec]) -> None:
    for action in actions:
        declared = ctx.registry.action_types.get(action.type)
        if declared is not None:
            _require(
                ctx, "action type", action.type, declared.plugin, child_loc(action.loc, "type")
            )
        channel = ctx.registry.channels.get(action.channel or "")
        if channel is not None:
            _require(ctx, "channel", channel.name, channel.plugin, child_loc(action.loc, "channel"))
        _check_actions(ctx, action.actions)


def _check_settings(ctx: CheckContext) -> None:
    app = ctx.app
    usable = set(app.plugins) | {
        name
        for name, channel in ctx.registry.channels.items()
        if channel.plugin == BUILTIN_PLUGIN or channel.plugin in app.plugins
    }
    for name in app.settings:
        if name in usable:
            continue
        loc = child_loc(app.loc, "settings", name)
        if name in ctx.registry.plugins:
            ctx.error(
                "R115",
                f"settings for the plugin '{name}', which this app does not list",
                loc,
                key=True,
                hint=f"add '{name}' to `plugins:`",
            )
        else:
            ctx.unknown(
                "R115", "plugin or channel", name, usable, loc, where="in `settings`", key=True
            )
