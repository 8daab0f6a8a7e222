"""The workflow nodes of the app-folder JSON Schema: approver sources, approval steps, due
times, states, transitions and the workflow itself."""

from __future__ import annotations

from engine.spec.schema_terms import Schema, id_map, list_of, obj, ref, typed_family

__all__ = ["APPROVAL_MODES", "approver_definitions", "workflow_definitions"]

APPROVAL_MODES = ["any", "all", "n_of_m", "percentage"]


def approver_definitions() -> dict[str, Schema]:
    """Approver sources (`type:` role | user_field | manager | manager_chain | users |
    expression), also used by `cc` and by `notify` recipients."""
    return typed_family(
        "approver", "Approver source", "Who approves (or is notified).", {}, _approvers()
    )


def _approvers() -> dict[str, tuple[str, Schema, list[str]]]:
    of = ref("id", "The user field whose manager is meant (default: `owner`).")
    return {
        "role": (
            "Every user who has a role.",
            {"role": ref("id", "The role.")},
            ["role"],
        ),
        "user_field": (
            "The user in a user field of the record.",
            {"field": ref("id", "A user field of the record.")},
            ["field"],
        ),
        "manager": ("The line manager of a user field's user.", {"of": of}, []),
        "manager_chain": (
            "Managers up the chain, one approval level each.",
            {
                "of": of,
                "levels": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10,
                    "default": 1,
                    "description": "How many levels up the chain.",
                },
            },
            [],
        ),
        "users": (
            "Named users.",
            {
                "users": list_of(
                    {"$ref": "#/definitions/username"},
                    "The usernames.",
                    minItems=1,
                    uniqueItems=True,
                )
            },
            ["users"],
        ),
        "expression": (
            "Users computed by an expression over the record.",
            {"expr": ref("expression", "Evaluates to a username or a list of usernames.")},
            ["expr"],
        ),
    }


def _due() -> Schema:
    schema = obj(
        "Due time",
        "When an approval step is due: `{after}` a delay from entering the step, or a date "
        "`{field}` of the record plus an `offset`.",
        {
            "after": ref("duration", "Due this long after the step starts (`48h`)."),
            "field": ref("id", "A date or datetime field of the record."),
            "offset": ref("duration", "Shift from the field's date (`-1d`)."),
        },
    )
    schema["if"] = {"required": ["field"]}
    schema["then"] = {"not": {"required": ["after"]}}
    schema["else"] = {"required": ["after"]}
    return schema


def _mode() -> Schema:
    return {
        "type": "string",
        "enum": APPROVAL_MODES,
        "enumDescriptions": [
            "One approval completes the step (或签).",
            "Every approver must approve (会签).",
            "`count` approvals complete the step.",
            "`percent` of the approvers must approve.",
        ],
        "default": "any",
        "description": "When the step is complete.",
    }


def _approval() -> Schema:
    return obj(
        "Approval step",
        "The approval a state waits for: who approves and when the step is complete.",
        {
            "approvers": list_of(
                {"$ref": "#/definitions/approver"},
                "The approvers (each source may yield several users).",
                minItems=1,
            ),
            "mode": _mode(),
            "count": {
                "type": "integer",
                "minimum": 1,
                "description": "Approvals needed (mode `n_of_m`).",
            },
            "percent": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 100,
                "description": "Share of approvers needed, in percent (mode `percentage`).",
            },
            "allow_self_approval": {
                "type": "boolean",
                "default": False,
                "description": "The record's submitter may approve their own record.",
            },
            "skip_if_approved": {
                "type": "boolean",
                "default": False,
                "description": "Skip the step when every approver already approved earlier.",
            },
            "allow": {
                "type": "array",
                "items": {"type": "string", "enum": ["transfer", "add_approver", "recall"]},
                "uniqueItems": True,
                "description": "Extra approval actions enabled in this step.",
            },
            "due": {"$ref": "#/definitions/due", "description": "When the step is due."},
            "on_overdue": {
                "type": "string",
                "enum": ["remind", "approve", "send_back"],
                "description": "What happens when the step is overdue.",
            },
        },
        ["approvers"],
    )


def _state() -> Schema:
    return obj(
        "State",
        "A workflow state.",
        {
            "label": ref("label", "The state's name."),
            "description": ref("label", "What the state means."),
            "color": ref("color", "The badge colour."),
            "initial": {
                "type": "boolean",
                "default": False,
                "description": "New records start here (exactly one state).",
            },
            "final": {
                "type": "boolean",
                "default": False,
                "description": "No transition leaves this state.",
            },
            "editable": {
                "description": 'Fields editable in this state, or `"*"` for all (default: '
                "all without approval, none with approval).",
                "anyOf": [
                    {"type": "string", "const": "*"},
                    {"$ref": "#/definitions/id_list"},
                ],
            },
            "editable_by": ref("id_list", "Roles that may edit in this state."),
            "approval": {
                "$ref": "#/definitions/approval",
                "description": "The approval this state waits for.",
            },
            "cc": list_of(
                {"$ref": "#/definitions/approver"}, "Who is copied (抄送) when it is entered."
            ),
            "on_enter": ref("actions", "Actions run when the state is entered."),
        },
    )


def _transition() -> Schema:
    return obj(
        "Transition",
        "One way of taking a workflow action.",
        {
            "from": {
                "description": 'The state(s) it leaves, or `"*"` for any.',
                "anyOf": [
                    {"type": "string", "const": "*"},
                    {"$ref": "#/definitions/id_or_ids"},
                ],
            },
            "to": ref("id_or_ids", "The state entered; a list lets the actor choose."),
            "label": ref("label", "The button text."),
            "roles": ref("id_list", "Roles that may take it (approvers take approvals)."),
            "if": ref("expression", "Guard: taken only when true."),
            "comment": {
                "type": "string",
                "enum": ["required", "optional", "none"],
                "default": "optional",
                "description": "Whether the actor writes a comment.",
            },
            "requires": ref("id_list", "Fields that must be filled to take it."),
            "set": ref("values", "Fields set when taken (field → value or `=expression`)."),
            "confirm": ref("label", "A question shown before acting."),
            "style": {
                "type": "string",
                "enum": ["primary", "danger", "default"],
                "default": "default",
                "description": "The button style.",
            },
        },
        ["from", "to"],
    )


def workflow_definitions() -> dict[str, Schema]:
    """The workflow and its parts (approver sources included)."""
    return {
        **approver_definitions(),
        "due": _due(),
        "approval": _approval(),
        "state": _state(),
        "transition": _transition(),
        "transitions": {
            "title": "Transitions of an action",
            "description": "One transition, or a list tried in order (the first whose "
            "`from` matches and whose `if` holds wins).",
            "type": ["object", "array"],
            "if": {"type": "array"},
            "then": {"items": {"$ref": "#/definitions/transition"}, "minItems": 1},
            "else": {"$ref": "#/definitions/transition"},
        },
        "workflow": obj(
            "Workflow",
            "The entity's state machine and approvals.",
            {
                "field": ref("id", "The state field (added as a `state` field if missing)."),
                "label": ref("label", "The workflow's name."),
                "states": id_map({"$ref": "#/definitions/state"}, "States by id.", minProperties=1),
                "transitions": id_map(
                    {"$ref": "#/definitions/transitions"},
                    "Transitions by action name (`submit`, `approve`, …).",
                ),
                "state_map": id_map(
                    {"$ref": "#/definitions/id"},
                    "Migration: old state → new state, applied by `migrate`.",
                ),
            },
            ["field", "states"],
        ),
    }
