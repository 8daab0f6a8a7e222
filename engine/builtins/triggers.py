"""The built-in automation triggers of docs/language.md, declared through
`formwork_trigger_types`."""

from __future__ import annotations

from typing import Any

from engine.builtins.hooks import hookimpl
from engine.spec.registry import TriggerType

__all__ = ["BUILTIN_TRIGGER_TYPES", "formwork_trigger_types"]

Schema = dict[str, Any]


def _entity(what: str) -> Schema:
    return {"$ref": "#/definitions/id", "description": f"The entity whose records {what}."}


def _states(what: str) -> Schema:
    return {"$ref": "#/definitions/id_or_ids", "description": what}


def _record_triggers() -> list[TriggerType]:
    return [
        TriggerType(
            "record_created",
            "Fires after a record is created.",
            {"entity": _entity("are watched")},
            required_options=("entity",),
        ),
        TriggerType(
            "record_updated",
            "Fires after a record is updated (optionally: only when given fields change, "
            "from or to given values).",
            {
                "entity": _entity("are watched"),
                "changed": {
                    "$ref": "#/definitions/id_list",
                    "description": "Fire only when one of these fields changed.",
                },
                "from": {
                    "$ref": "#/definitions/values",
                    "description": "Fire only when these fields had these values before "
                    "(field → value).",
                },
                "to": {
                    "$ref": "#/definitions/values",
                    "description": "Fire only when these fields have these values after "
                    "(field → value).",
                },
            },
            required_options=("entity",),
            value_options=("from", "to"),
        ),
        TriggerType(
            "record_deleted",
            "Fires after a record is deleted (soft delete).",
            {"entity": _entity("are watched")},
            required_options=("entity",),
        ),
    ]


def _workflow_triggers() -> list[TriggerType]:
    return [
        TriggerType(
            "transitioned",
            "Fires after a record moves through its workflow.",
            {
                "entity": _entity("are watched"),
                "action": {
                    "$ref": "#/definitions/id",
                    "description": "Only this workflow action (transition name).",
                },
                "from": _states("Only when leaving this state (or one of these)."),
                "to": _states("Only when entering this state (or one of these)."),
            },
            required_options=("entity",),
        ),
        TriggerType(
            "approval",
            "Fires on an approval event of a workflow step.",
            {
                "entity": _entity("are watched"),
                "event": {
                    "type": "string",
                    "enum": ["submitted", "approved", "rejected", "sent_back", "overdue"],
                    "description": "The approval event.",
                },
                "state": {
                    "$ref": "#/definitions/id",
                    "description": "Only for the approval step of this state.",
                },
            },
            required_options=("entity", "event"),
        ),
    ]


def _value_triggers() -> list[TriggerType]:
    return [
        TriggerType(
            "threshold",
            "Fires when a numeric field crosses a value.",
            {
                "entity": _entity("are watched"),
                "field": {"$ref": "#/definitions/id", "description": "The numeric field."},
                "value": {
                    "type": ["number", "string"],
                    "pattern": "^=.+",
                    "description": "The threshold: a number, or `=expression` over the record.",
                },
                "direction": {
                    "type": "string",
                    "enum": ["up", "down"],
                    "default": "up",
                    "description": "Fire when crossing upwards or downwards.",
                },
            },
            required_options=("entity", "field", "value"),
            value_options=("value",),
        ),
        TriggerType(
            "date",
            "Fires at a time relative to a date field of each record.",
            {
                "entity": _entity("are watched"),
                "field": {
                    "$ref": "#/definitions/id",
                    "description": "The date or datetime field.",
                },
                "offset": {
                    "$ref": "#/definitions/duration",
                    "description": "Shift from the field's date (`-3d`: three days before).",
                },
                "at": {
                    "type": "string",
                    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                    "default": "09:00",
                    "description": "Time of day (`HH:MM`, app timezone) for date fields.",
                },
            },
            required_options=("entity", "field"),
        ),
    ]


def _time_and_manual_triggers() -> list[TriggerType]:
    return [
        TriggerType(
            "schedule",
            "Fires on a cron schedule.",
            {
                "cron": {
                    "type": "string",
                    "pattern": r"^\s*\S+(\s+\S+){4}\s*$",
                    "description": "Five cron fields: minute hour day-of-month month "
                    "day-of-week (`0 9 * * mon`).",
                },
                "timezone": {
                    "type": "string",
                    "minLength": 1,
                    "description": "IANA timezone of the schedule; default: the app's.",
                },
                "catch_up": {
                    "type": "string",
                    "enum": ["all", "latest", "none"],
                    "default": "all",
                    "description": "Ticks missed while no worker ran: `all` fires each "
                    "(oldest first, at most the newest 1,000), `latest` only the newest, "
                    "`none` none (only a tick at most 2 minutes old fires).",
                },
            },
            required_options=("cron",),
        ),
        TriggerType(
            "manual",
            "A button on a record that runs the automation when pressed.",
            {
                "entity": _entity("show the button"),
                "label": {"$ref": "#/definitions/label", "description": "The button text."},
                "roles": {
                    "$ref": "#/definitions/id_list",
                    "description": "Roles that may press it (default: anyone who may update "
                    "the record).",
                },
            },
            required_options=("entity",),
        ),
    ]


def _people_triggers() -> list[TriggerType]:
    return [
        TriggerType(
            "membership",
            "Fires when a user joins or leaves a team (their main team changes; "
            "deactivating a user is leaving, reactivating joining). There is no triggering "
            "record: expressions read `event.member` (the user), `event.team` and "
            "`event.change` ('joined' or 'left').",
            {
                "change": {
                    "type": "string",
                    "enum": ["joined", "left", "any"],
                    "default": "any",
                    "description": "Only joining, only leaving, or both.",
                },
                "team": {
                    "type": ["integer", "string"],
                    "minLength": 1,
                    "description": "Only changes of this team or a team below it: its id, "
                    "its name, or an `=expression` giving one of them.",
                },
            },
            value_options=("team",),
        ),
    ]


BUILTIN_TRIGGER_TYPES: tuple[TriggerType, ...] = (
    *_record_triggers(),
    *_workflow_triggers(),
    *_value_triggers(),
    *_time_and_manual_triggers(),
    *_people_triggers(),
)
"""Every built-in trigger type."""


@hookimpl
def formwork_trigger_types() -> list[TriggerType]:
    """The built-in trigger types."""
    return list(BUILTIN_TRIGGER_TYPES)
