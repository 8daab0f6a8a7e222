"""The entity-level nodes of the app-folder JSON Schema that no plugin extends: row scopes,
role permissions, indexes, forms and views."""

from __future__ import annotations

from engine.spec.schema_terms import SORT_PATTERN, Schema, id_map, list_of, obj, ref, typed_family

__all__ = ["entity_definitions"]


def _scope() -> Schema:
    return {
        "title": "Row scope",
        "description": "Which rows: `none`, `own` (owner is me), `team` (owner in my team), "
        "`subteams` (my team or below), `all`, or `=expression` over the record.",
        "anyOf": [
            {"type": "string", "enum": ["none", "own", "team", "subteams", "all"]},
            {"type": "string", "pattern": "^=.+"},
        ],
    }


def entity_definitions() -> dict[str, Schema]:
    """Scopes, role permissions, indexes, forms and views."""
    scope = "#/definitions/scope"
    return {
        "scope": _scope(),
        "role_permissions": obj(
            "Role permissions",
            "What one role may do on the entity and to which rows.",
            {
                "create": {"type": "boolean", "default": False, "description": "May create."},
                "read": {"$ref": scope, "description": "Rows the role may see."},
                "update": {"$ref": scope, "description": "Rows the role may edit."},
                "delete": {"$ref": scope, "description": "Rows the role may delete."},
                "export": {"$ref": scope, "description": "Rows the role may export."},
                "fields": id_map(
                    {"type": "string", "enum": ["edit", "read", "none"]},
                    "Per-field access: `edit` (default), `read` or `none`.",
                ),
            },
        ),
        "index": {
            "title": "Index",
            "description": "An extra index: a list of field ids, or `{fields, unique}`.",
            "type": ["array", "object"],
            "items": {"$ref": "#/definitions/id"},
            "minItems": 1,
            "additionalProperties": False,
            "required": ["fields"],
            "properties": {
                "fields": ref("id_list", "The indexed fields, in order."),
                "unique": {
                    "type": "boolean",
                    "default": False,
                    "description": "No two live records may share these values.",
                },
            },
        },
        **_form_parts(),
        **_view_definitions(),
    }


def _form_parts() -> dict[str, Schema]:
    section = obj(
        "Form section",
        "A titled group of fields.",
        {
            "title": ref("label", "The section heading."),
            "description": ref("label", "Text shown under the heading."),
            "columns": {
                "type": "integer",
                "minimum": 1,
                "maximum": 4,
                "default": 1,
                "description": "Columns of the layout.",
            },
            "fields": ref("id_list", "The fields shown, in order."),
            "visible_if": ref("expression", "Shown only when this expression is true."),
        },
        ["fields"],
    )
    form = obj(
        "Form",
        "A form of the entity.",
        {
            "label": ref("label", "The form's name."),
            "for": {
                "type": "array",
                "items": {"type": "string", "enum": ["create", "edit", "view"]},
                "uniqueItems": True,
                "minItems": 1,
                "default": ["create", "edit", "view"],
                "description": "Where the form is used.",
            },
            "sections": list_of(
                {"$ref": "#/definitions/form_section"}, "The sections, in order.", minItems=1
            ),
        },
        ["sections"],
    )
    return {"form_section": section, "form": form}


def _view_definitions() -> dict[str, Schema]:
    common: Schema = {
        "label": ref("label", "The view's name."),
        "description": ref("label", "What the view shows."),
        "filter": ref("expression", "Only records for which this holds."),
        "sort": list_of(
            {"type": "string", "pattern": SORT_PATTERN},
            "Sort keys: field ids, `-` prefix for descending.",
        ),
        "default": {
            "type": "boolean",
            "default": False,
            "description": "The view opened first.",
        },
    }
    fields = "#/definitions/id_list"
    variants: dict[str, tuple[str, Schema, list[str]]] = {
        "table": (
            "Rows and columns.",
            {
                "columns": {"$ref": fields, "description": "The columns, in order."},
                "page_size": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 500,
                    "default": 50,
                    "description": "Rows per page.",
                },
            },
            [],
        ),
        "kanban": (
            "Cards in columns, one column per value.",
            {
                "group_by": ref("id", "A select or state field: one column per value."),
                "card": {"$ref": fields, "description": "The fields shown on each card."},
            },
            ["group_by"],
        ),
        "calendar": (
            "Records placed on a calendar by a date.",
            {
                "date_field": ref("id", "The date or datetime field placing the record."),
                "title_field": ref("id", "The field shown as the entry's text."),
            },
            ["date_field"],
        ),
    }
    return typed_family("view", "View", "A list view of the entity.", common, variants)
