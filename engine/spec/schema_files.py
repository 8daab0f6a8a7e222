"""The file kinds of the app-folder JSON Schema: `<kind>_file` for app, entity, automation,
table, dashboard and suite, with the nodes only one kind uses (decision-table columns and
rules, dashboard widgets, scenarios and their steps)."""

from __future__ import annotations

from engine.spec.schema_suite import suite_definitions
from engine.spec.schema_terms import (
    AGGREGATES,
    ID_NAMES,
    LOCALE_PATTERN,
    SORT_PATTERN,
    Schema,
    id_map,
    list_of,
    obj,
    ref,
    typed_family,
)

__all__ = ["DEFAULT_INCLUDES", "file_definitions"]

DEFAULT_INCLUDES = [
    "entities/*.yaml",
    "rules/*.yaml",
    "tables/*.yaml",
    "dashboards/*.yaml",
    "tests/*.yaml",
]
ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TABLE_TYPES = ["text", "number", "integer", "money", "percent", "date", "datetime", "boolean"]


def _article(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} `{kind}`"


def _head(kind: str, what: str) -> Schema:
    """The keys every file starts with: its id (the kind key), label and description."""
    return {
        kind: ref("id", f"The {what}'s id; this first key makes the file {_article(kind)} file."),
        "label": ref("label", f"The {what}'s name."),
        "description": ref("label", f"What the {what} is for."),
    }


def _app_file() -> Schema:
    head = _head("app", "app")
    del head["label"]
    return obj(
        "App file (`app.yaml`)",
        "The app: id, title, locales, roles and which files it includes.",
        {
            **head,
            "title": ref("label", "The app's name."),
            "version": {"type": "integer", "minimum": 1, "description": "The app's version."},
            "locales": list_of(
                {"type": "string", "pattern": LOCALE_PATTERN},
                "Languages of the texts; the first is the default.",
                minItems=1,
                uniqueItems=True,
            ),
            "currency": {
                "type": "string",
                "pattern": "^[A-Z]{3}$",
                "description": "ISO 4217 code money fields use unless they say otherwise.",
            },
            "timezone": {
                "type": "string",
                "minLength": 1,
                "description": "IANA timezone of schedules and `today()` (`Asia/Shanghai`).",
            },
            "week_start": {
                "type": "string",
                "enum": ["monday", "sunday"],
                "default": "monday",
                "description": "The first day of a week (week buckets, `start_of_week`).",
            },
            # `admin` is left to the reference check (R113), which says why it is refused.
            "roles": id_map(
                {"$ref": "#/definitions/role"},
                "Roles by id; `admin` is implicit and may not be declared.",
            ),
            "includes": list_of(
                {"type": "string", "minLength": 1},
                "Glob patterns (relative to the folder) of the files to load.",
                default=DEFAULT_INCLUDES,
            ),
            "plugins": ref("id_list", "Plugins this app needs."),
            "settings": ref("settings", "Settings by plugin or channel name."),
            "calendar": _calendar(),
        },
        ["app"],
    )


def _calendar() -> Schema:
    day = {"type": "string", "pattern": ISO_DAY, "description": "A day, written YYYY-MM-DD."}
    return obj(
        "Working calendar",
        "Which days are worked (`working_days()`): Monday to Friday, minus `holidays`, plus "
        "`workdays`.",
        {
            "holidays": list_of(
                day, "Days that are not worked (public holidays), whatever their weekday."
            ),
            "workdays": list_of(
                day, "Weekend days that are worked (days moved to make a long holiday: 调休)."
            ),
        },
    )


def _role() -> Schema:
    return obj(
        "Role",
        "A role users may have.",
        {
            "label": ref("label", "The role's name."),
            "description": ref("label", "What the role is for."),
            "inherits": ref("id_list", "Roles whose permissions this role also has."),
        },
    )


def _entity_file() -> Schema:
    return obj(
        "Entity file",
        "An entity: one table of records with its fields, permissions, workflow, forms and views.",
        {
            **_head("entity", "entity"),
            "plural": ref("label", "The entity's name in the plural."),
            "icon": {
                "type": "string",
                "pattern": "^[a-z0-9-]+$",
                "description": "An icon name (`file-text`): free text for now, as the web "
                "interface shows no icons yet.",
            },
            "title_field": ref("id", "The field shown as a record's title."),
            "renamed_from": ref("id", "Migration: the entity's previous id (data is kept)."),
            "fields": id_map(
                {"$ref": "#/definitions/field"}, "Fields by id, in form order.", minProperties=1
            ),
            "validations": list_of(
                {"$ref": "#/definitions/rule"}, "Record-level rules; all must hold."
            ),
            "indexes": list_of({"$ref": "#/definitions/index"}, "Extra database indexes."),
            "permissions": id_map(
                {"$ref": "#/definitions/role_permissions"},
                "Permissions by role; a role not listed may do nothing.",
            ),
            "workflow": ref("workflow", "The entity's workflow."),
            "forms": id_map({"$ref": "#/definitions/form"}, "Forms by id (`default` first)."),
            "views": id_map({"$ref": "#/definitions/view"}, "List views by id."),
        },
        ["entity", "fields"],
    )


def _automation_file() -> Schema:
    return obj(
        "Automation file",
        "An automation: when a trigger fires and every condition holds, run the actions.",
        {
            **_head("automation", "automation"),
            "enabled": {
                "type": "boolean",
                "default": True,
                "description": "Disabled automations never run.",
            },
            "mode": {
                "type": "string",
                "enum": ["single", "queued", "parallel"],
                "enumDescriptions": [
                    "Skip a trigger while a run is in progress on the same record (a "
                    "schedule: anywhere).",
                    "Run after the run in progress on the same record (a schedule: one at a time).",
                    "Run at once, even inside a run on the same record (loops are still stopped).",
                ],
                "default": "queued",
                "description": "What happens when it triggers while already running.",
            },
            "on_import": {
                "type": "boolean",
                "default": True,
                "description": "Also run for records created in bulk (imports, the batch "
                "API); false: only for changes made one at a time.",
            },
            "triggers": list_of(
                {"$ref": "#/definitions/trigger"}, "What starts it (any one).", minItems=1
            ),
            "conditions": list_of(
                {"$ref": "#/definitions/expression"}, "Expressions that must all hold."
            ),
            "actions": ref("actions", "What it does, in order."),
        },
        ["automation", "triggers", "actions"],
    )


def _table_parts() -> dict[str, Schema]:
    column = obj(
        "Table column",
        "An input or output of a decision table.",
        {
            "name": ref("id", "The name (`lookup('t', name=…)`; output keys)."),
            "type": {"type": "string", "enum": TABLE_TYPES, "description": "The value type."},
            "label": ref("label", "The column heading."),
        },
        ["name", "type"],
    )
    cell = {"type": ["string", "number", "boolean", "null"]}
    rule = obj(
        "Table rule",
        "One row: unary tests on the inputs (`when`) and the outputs it gives (`then`).",
        {
            "when": id_map(
                {**cell, "description": "A unary test."},
                "Input → test: `-`, a literal, `< 5`, `[1 .. 5]`, `in ['a', 'b']`, or "
                "`=expression` with `?` for the input. Missing inputs match anything.",
            ),
            "then": ref("values", "Output → value (a literal, or `=expression`)."),
            "description": ref("label", "Why the row exists."),
        },
        ["then"],
    )
    table = obj(
        "Decision table file",
        "A decision table, looked up from expressions or the `lookup` action.",
        {
            **_head("table", "table"),
            "hit_policy": {
                "type": "string",
                "enum": ["first", "unique", "collect", "priority"],
                "enumDescriptions": [
                    "The first matching row wins.",
                    "Exactly one row may match.",
                    "Every matching row, as a list.",
                    "The matching row with the highest priority (row order).",
                ],
                "default": "first",
                "description": "Which matching rows give the result.",
            },
            "inputs": list_of({"$ref": "#/definitions/table_column"}, "Inputs.", minItems=1),
            "outputs": list_of({"$ref": "#/definitions/table_column"}, "Outputs.", minItems=1),
            "rules": list_of({"$ref": "#/definitions/table_rule"}, "The rows.", minItems=1),
        },
        ["table", "inputs", "outputs", "rules"],
    )
    return {"table_column": column, "table_rule": rule, "table_file": table}


def _group_by() -> Schema:
    return {
        "title": "Group by",
        "description": "A field, or `{field, bucket}` to group dates by period.",
        "type": ["string", "object"],
        **ID_NAMES,
        "additionalProperties": False,
        "required": ["field"],
        "properties": {
            "field": ref("id", "The field grouped by."),
            "bucket": {
                "type": "string",
                "enum": ["day", "week", "month", "quarter", "year"],
                "description": "The period dates are grouped into.",
            },
        },
    }


def _widget_common() -> Schema:
    return {
        "id": ref("id", "The widget's id (unique in the dashboard)."),
        "title": ref("label", "The widget's heading."),
        "entity": ref("id", "The entity aggregated."),
        "aggregate": {
            "type": "string",
            "enum": AGGREGATES,
            "default": "count",
            "description": "How records are combined.",
        },
        "field": ref("id", "The field aggregated (not for `count`)."),
        "filter": ref("expression", "Only records for which this holds."),
        "group_by": ref("group_by", "What the records are grouped by."),
        "sort": {
            "type": "string",
            "pattern": SORT_PATTERN,
            "description": "Sort key (`-value`: largest first).",
        },
        "limit": {"type": "integer", "minimum": 1, "description": "Most groups shown."},
        "width": {
            "type": "integer",
            "minimum": 1,
            "maximum": 12,
            "default": 4,
            "description": "Width in twelfths of the dashboard.",
        },
    }


def _dashboard_parts() -> dict[str, Schema]:
    grouped = ["id", "entity", "group_by"]
    variants: dict[str, tuple[str, Schema, list[str]]] = {
        "number": ("One aggregated number.", {}, ["id", "entity"]),
        "bar": ("Bars: the aggregate per group.", {}, grouped),
        "line": ("A line: the aggregate per period.", {}, grouped),
        "pie": ("Shares of the aggregate per group.", {}, grouped),
        "funnel": ("The aggregate per stage, in order.", {}, grouped),
        "gauge": (
            "One aggregate against a maximum.",
            {
                "max": {
                    "type": ["number", "string"],
                    "pattern": "^=.+",
                    "description": "The gauge's full scale: a number or `=expression`.",
                }
            },
            ["id", "entity", "max"],
        ),
        "table": (
            "Rows: the records, or the aggregate per group.",
            {"columns": ref("id_list", "The columns shown.")},
            ["id", "entity"],
        ),
        "leaderboard": (
            "Groups ranked by the aggregate.",
            {},
            grouped,
        ),
    }
    common = _widget_common()
    defs = typed_family("widget", "Widget", "A chart or number on a dashboard.", common, variants)
    defs["group_by"] = _group_by()
    defs["dashboard_file"] = obj(
        "Dashboard file",
        "A dashboard: widgets over the app's records.",
        {
            **_head("dashboard", "dashboard"),
            "roles": ref("id_list", "Roles that see it (default: every role)."),
            "widgets": list_of({"$ref": "#/definitions/widget"}, "The widgets, in order."),
        },
        ["dashboard", "widgets"],
    )
    return defs


def file_definitions() -> dict[str, Schema]:
    """Every `<kind>_file` definition and the nodes only one kind uses."""
    return {
        "app_file": _app_file(),
        "role": _role(),
        "entity_file": _entity_file(),
        "automation_file": _automation_file(),
        **_table_parts(),
        **_dashboard_parts(),
        **suite_definitions(),
    }
