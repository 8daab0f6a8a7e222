"""JSON Schemas (OpenAPI 3.0 dialect) of an app's records, derived from its entity specs:
one schema per field type, the record as returned (`<entity>`), as created
(`<entity>_create`), as patched (`<entity>_update`), the body of a workflow action
(`<entity>_action`) and the shapes of the workflow routes (`workflow_schemas`).

Computed fields (formula, rollup), sequences, the workflow state and fields marked
`readonly` are `readOnly` and left out of the request schemas; every field may be null in
a record (an empty value), and a field the caller may not read is absent from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.runtime.values import MAX_ID
from engine.spec.model import EntitySpec, FieldSpec
from engine.spec.registry import Registry

__all__ = [
    "COMPUTED_TYPES",
    "MAX_ID",
    "SYSTEM_PROPERTIES",
    "action_request_schema",
    "create_schema",
    "dashboard_schemas",
    "field_schema",
    "is_read_only",
    "record_schema",
    "update_schema",
    "workflow_schemas",
]

Schema = dict[str, Any]
COMPUTED_TYPES = frozenset({"formula", "rollup", "sequence", "state"})
_ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_BY_KIND: Mapping[str, Schema] = {
    "text": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer", "format": "int64"},
    "money": {"type": "number", "description": "An exact decimal amount (major units)."},
    "percent": {"type": "number", "description": "A ratio: 1.0 is 100 %."},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "user": {"type": "string", "description": "A username."},
    "team": {**_ID, "description": "A team id."},
    "link": {**_ID, "description": "The id of the linked record."},
}
_ATTACHMENT_ITEM: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "size": {"type": "integer"},
        "mime": {"type": "string", "nullable": True},
    },
}
SYSTEM_PROPERTIES: Mapping[str, Schema] = {
    "id": {"type": "integer", "readOnly": True},
    "version": {"type": "integer", "readOnly": True},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "created_by": {"type": "string", "nullable": True, "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_by": {"type": "string", "nullable": True, "readOnly": True},
    "deleted_at": {"type": "string", "format": "date-time", "readOnly": True},
}


def is_read_only(field: FieldSpec) -> bool:
    """True for fields no client may write: computed, numbered, the state, `readonly`."""
    return field.readonly or field.type in COMPUTED_TYPES


def field_schema(field: FieldSpec, registry: Registry, *, for_input: bool = False) -> Schema:
    """The schema of one field's value (nullable unless `for_input` asks for a value)."""
    schema = _value_schema(field, registry, for_input=for_input)
    if not for_input:
        schema = _nullable(schema)
        if is_read_only(field):
            schema["readOnly"] = True
    return schema


def _value_schema(field: FieldSpec, registry: Registry, *, for_input: bool) -> Schema:
    if field.type in ("select", "state") and field.choices:
        return {"type": "string", "enum": list(field.choice_values)}
    if field.type == "multi_select":
        return {"type": "array", "items": {"type": "string", "enum": list(field.choice_values)}}
    if field.type == "subform":
        rows = {
            name: field_schema(sub, registry, for_input=for_input)
            for name, sub in field.subfields.items()
            if not (for_input and is_read_only(sub))
        }
        return {"type": "array", "items": {"type": "object", "properties": rows}}
    if field.type == "attachment":
        return {"type": "array", "items": _ID if for_input else _ATTACHMENT_ITEM}
    declared = registry.field_types.get(field.type)
    kind = field.result_type or (declared.value_kind if declared is not None else "any")
    schema = dict(_BY_KIND.get(kind, {}))
    if kind == "text" and isinstance(field.option("max_length"), int):
        schema["maxLength"] = field.option("max_length")
    if for_input and kind in ("number", "money", "percent", "integer"):
        for key, name in (("min", "minimum"), ("max", "maximum")):
            bound = field.option(key)
            if isinstance(bound, int | float) and not isinstance(bound, bool):
                schema[name] = bound
    return schema


def _nullable(schema: Schema) -> Schema:
    nullable = {**schema, "nullable": True}
    if "enum" in nullable:
        nullable["enum"] = [*nullable["enum"], None]
    return nullable


def record_schema(entity: EntitySpec, registry: Registry, state_values: list[str]) -> Schema:
    """A record as the API returns it: its fields plus the system properties."""
    properties: dict[str, Schema] = {}
    for name, field in entity.fields.items():
        schema = field_schema(field, registry)
        if entity.workflow is not None and name == entity.workflow.field:
            schema = _nullable({"type": "string", "enum": state_values})
            schema["readOnly"] = True
        properties[name] = schema
    properties.update(SYSTEM_PROPERTIES)
    return {
        "type": "object",
        "description": _describe(entity),
        "properties": properties,
        "required": ["id", "version", "created_at", "updated_at"],
    }


def create_schema(entity: EntitySpec, registry: Registry) -> Schema:
    """The body of a create: the writable fields; those required without a default are
    required here."""
    properties = _writable(entity, registry)
    required = [
        name
        for name, field in entity.fields.items()
        if name in properties and field.required and field.default is None
    ]
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def update_schema(entity: EntitySpec, registry: Registry) -> Schema:
    """The body of a patch: any writable fields, and `_version` (or send `If-Match`)."""
    properties = _writable(entity, registry)
    properties["_version"] = {
        "type": "integer",
        "minimum": 1,
        "description": "The version the change is based on (or send an If-Match header).",
    }
    return {"type": "object", "properties": properties, "additionalProperties": False}


def action_request_schema(entity: EntitySpec, registry: Registry) -> Schema:
    """The body of a workflow action: all optional; `values` in the forms of a patch."""
    text = {"type": "string", "nullable": True}
    values: Schema = {
        "type": "object",
        "properties": _writable(entity, registry),
        "additionalProperties": False,
        "description": "Fields the action requires or the current state lets you edit.",
    }
    return {
        "type": "object",
        "properties": {
            "comment": {**text, "description": "Required by some actions (reject, send back)."},
            "values": values,
            "to_user": {**text, "description": "transfer / add_approver: the username."},
            "to_state": {**text, "description": "send_back: the earlier step to return to."},
            "position": {
                "type": "string",
                "enum": ["before", "after"],
                "description": "add_approver: before or after yourself (default after).",
            },
            "_version": {
                "type": "integer",
                "minimum": 1,
                "description": "The version the action is based on (or send If-Match).",
            },
        },
        "additionalProperties": False,
    }


def workflow_schemas() -> dict[str, Schema]:
    """The response shapes of the workflow routes (actions, approval trail, inbox)."""
    text: Schema = {"type": "string"}
    maybe_text: Schema = {"type": "string", "nullable": True}
    moment: Schema = {"type": "string", "format": "date-time"}
    maybe_moment: Schema = {**moment, "nullable": True}
    texts: Schema = {"type": "array", "items": text}
    labels: Schema = {"type": "object", "additionalProperties": text}
    action: Schema = {
        "type": "object",
        "required": ["name", "label", "labels", "style", "comment", "targets", "needs_user"],
        "properties": {
            "name": text,
            "label": text,
            "labels": labels,
            "style": text,
            "comment": {"type": "string", "enum": ["required", "optional", "none"]},
            "targets": texts,
            "needs_user": {"type": "boolean"},
            "requires": texts,
            "confirm": maybe_text,
            "confirms": {**labels, "nullable": True},
        },
    }
    task: Schema = {
        "type": "object",
        "required": ["assignee", "status", "seq", "origin"],
        "properties": {
            "id": {"type": "integer"},
            "assignee": text,
            "status": text,
            "seq": {"type": "integer"},
            "origin": text,
            "added_by": maybe_text,
            "created_at": moment,
            "acted_at": maybe_moment,
            "comment": maybe_text,
        },
    }
    step: Schema = {
        "step_id": {"type": "integer"},
        "step": text,
        "run": {"type": "integer"},
        "from_state": maybe_text,
        "submitter": maybe_text,
        "entered_at": moment,
        "due_at": maybe_moment,
        "step_status": text,
        "closed_at": maybe_moment,
    }
    item: Schema = {
        "type": "object",
        "required": ["app", "entity", "record_id", "title", "state", "step", "overdue"],
        "properties": {
            "app": text,
            "entity": text,
            "record_id": {"type": "integer"},
            "title": text,
            "state": text,
            **step,
            "overdue": {"type": "boolean"},
            "task": {**task, "nullable": True},
        },
    }
    notification: Schema = {
        "type": "object",
        "required": ["id", "kind", "created_at", "read"],
        "properties": {
            "id": {"type": "integer"},
            "app": text,
            "entity": maybe_text,
            "record_id": {"type": "integer", "nullable": True},
            "kind": text,
            "state": maybe_text,
            "by": maybe_text,
            "comment": maybe_text,
            "title": {**maybe_text, "description": "An automation's message: its subject."},
            "body": {**maybe_text, "description": "An automation's message: its text."},
            "created_at": moment,
            "read": {"type": "boolean"},
            "read_at": maybe_moment,
        },
    }
    return {
        "ActionList": _items(action),
        "ApprovalTrail": _items(
            {
                "type": "object",
                "required": ["step", "tasks"],
                "properties": {**step, "tasks": {"type": "array", "items": task}},
            }
        ),
        "Inbox": {
            "type": "object",
            "required": ["pending", "submitted", "notifications"],
            "properties": {
                "pending": {"type": "array", "items": item},
                "submitted": {"type": "array", "items": item},
                "notifications": {"type": "array", "items": notification},
            },
        },
        "InboxRead": {
            "type": "object",
            "required": ["marked"],
            "properties": {"marked": {"type": "integer"}},
        },
    }


def _items(item: Schema) -> Schema:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": item}},
    }


def _writable(entity: EntitySpec, registry: Registry) -> dict[str, Schema]:
    properties: dict[str, Schema] = {}
    for name, field in entity.fields.items():
        if not is_read_only(field):
            schema = field_schema(field, registry, for_input=True)
            if not field.required:
                schema = _nullable(schema)
            properties[name] = schema
    return properties


def _describe(entity: EntitySpec) -> str:
    label = entity.label
    if isinstance(label, Mapping):
        return str(label.get("en") or next(iter(label.values()), entity.name))
    return str(label or entity.name)


def dashboard_schemas(widget_types: list[str]) -> dict[str, Schema]:
    """The shapes of the dashboard routes: the list (`DashboardList`) and one dashboard
    computed for the caller (`Dashboard`, its `DashboardWidget`s and their points)."""
    strings = {"type": "array", "items": {"type": "string"}}
    number: Schema = {
        "description": "An exact number (money in yuan, a percent as a ratio), an integer, "
        "or a date for the min / max of dates; null when there is none.",
    }
    text = {"type": "string"}
    widget_type = {"type": "string", "enum": widget_types}
    return {
        "DashboardList": _items(_dashboard_summary(widget_type)),
        "Dashboard": {
            "type": "object",
            "required": ["name", "label", "today", "widgets"],
            "properties": {
                "name": text,
                "label": text,
                "today": {"type": "string", "format": "date"},
                "widgets": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/DashboardWidget"},
                },
            },
        },
        "DashboardWidget": {
            "type": "object",
            "required": ["id", "type", "title", "points", "columns", "rows", "error"],
            "properties": {
                "id": text,
                "type": widget_type,
                "title": text,
                "entity": {"type": "string", "nullable": True},
                "width": {"type": "integer", "nullable": True},
                "value_type": {
                    "type": "string",
                    "nullable": True,
                    "enum": ["money", "percent", "number", "integer", "date", "datetime", None],
                },
                "value": number,
                "maximum": number,
                "points": {
                    "type": "array",
                    "description": "Groups in display order.",
                    "items": {
                        "type": "object",
                        "required": ["key", "label", "value"],
                        "properties": {
                            "key": {
                                "description": "The raw group key (an option, a "
                                "username, a team or record id, a bucket's first day)."
                            },
                            "label": text,
                            "value": number,
                        },
                    },
                },
                "columns": strings,
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "values"],
                        "properties": {
                            "id": {"type": "integer"},
                            "values": {"type": "object", "description": "Column → value."},
                        },
                    },
                },
                "error": {
                    "type": "string",
                    "nullable": True,
                    "description": "Why the widget could not be computed (then no data).",
                },
            },
        },
    }


def _dashboard_summary(widget_type: Schema) -> Schema:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["name", "label", "widgets"],
        "properties": {
            "name": text,
            "label": text,
            "widgets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "type", "title"],
                    "properties": {"id": text, "type": widget_type, "title": text},
                },
            },
        },
    }
