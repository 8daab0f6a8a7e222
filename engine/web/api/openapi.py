"""The OpenAPI 3.0 document of the API, generated from the loaded app: a pure function of
the `AppSpec` and the type registry (`build_openapi`). Every status code an operation can
answer is listed, each error with the shared `Error` schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.runtime.dashboards import WIDGET_TYPES
from engine.runtime.workflow_service import APPROVAL_ONLY_ACTIONS
from engine.spec.model import AppSpec, EntitySpec
from engine.spec.registry import Registry
from engine.web.api.openapi_schemas import (
    MAX_ID,
    action_request_schema,
    create_schema,
    dashboard_schemas,
    record_schema,
    update_schema,
    workflow_schemas,
)

__all__ = ["OPENAPI_VERSION", "action_names", "build_openapi", "manual_automations"]

SYSTEM_SORT_KEYS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by")
_LISTS = frozenset({"subform", "multi_select", "attachment"})  # kept in child tables

OPENAPI_VERSION = "3.0.3"
Schema = dict[str, Any]
_ERRORS = {
    400: "Bad request: malformed body or parameters, a broken filter, sort or cursor.",
    401: "No valid credentials.",
    403: "Not allowed: the caller may not do this here.",
    404: "No such app, entity or record — or one outside the caller's permissions.",
    409: (
        "Conflict: the record changed since it was read (stale version), is still used, "
        "or the workflow action is not possible in its current state."
    ),
    422: (
        "Validation failed; `fields` holds the messages per field. Or a rule the request "
        "fired failed (`automation_failed`, with `automation` and `where`): nothing was kept."
    ),
    428: "The version is missing: send `_version` or an If-Match header.",
}
_ID_PARAMETER: Schema = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def build_openapi(app: AppSpec, registry: Registry, *, prefix: str = "/api/v1") -> Schema:
    """The OpenAPI document of the API serving `app` under `prefix`."""
    schemas: dict[str, Schema] = {**_common_schemas()}
    paths: dict[str, Schema] = {
        f"{prefix}/auth/token": _token_path(),
        f"{prefix}/me": {"get": _operation("me", "The caller.", _ok("Me"), (401,))},
    }
    for name, entity in app.entities.items():
        schemas.update(_entity_schemas(entity, registry))
        paths.update(_entity_paths(f"{prefix}/{app.id}/{name}", entity))
        if entity.workflow is not None:
            schemas[f"{name}_action"] = action_request_schema(entity, registry)
            paths.update(_workflow_paths(f"{prefix}/{app.id}/{name}", entity))
    manual = manual_automations(app)
    for name, automations in manual.items():
        paths.update(_automation_paths(f"{prefix}/{app.id}/{name}", name, automations))
    if manual:
        schemas["AutomationRun"] = _automation_run_schema()
    if any(entity.workflow is not None for entity in app.entities.values()):
        schemas.update(workflow_schemas())
        paths.update(_inbox_paths(prefix))
    schemas.update(dashboard_schemas(sorted(WIDGET_TYPES)))
    paths.update(_dashboard_paths(f"{prefix}/{app.id}", app))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": f"{app.id} API", "version": str(app.version or 1)},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }


def _entity_schemas(entity: EntitySpec, registry: Registry) -> dict[str, Schema]:
    states = list(entity.workflow.states) if entity.workflow is not None else []
    name = entity.name
    return {
        name: record_schema(entity, registry, states),
        f"{name}_create": create_schema(entity, registry),
        f"{name}_update": update_schema(entity, registry),
        f"{name}_page": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": _ref(name)},
                "next_cursor": {"type": "string", "nullable": True},
            },
            "required": ["items", "next_cursor"],
        },
    }


def _entity_paths(base: str, entity: EntitySpec) -> dict[str, Schema]:
    name = entity.name
    record = _ok(name)
    return {
        base: {
            "get": _operation(
                f"list_{name}", f"A page of {name} records.", _ok(f"{name}_page"),
                (400, 401, 403, 404), parameters=_list_parameters(entity),
            ),
            "post": _operation(
                f"create_{name}", f"Create a {name}.",
                {"201": {**record["200"], "headers": {"Location": {"schema": {"type": "string"}}}}},
                (400, 401, 403, 404, 409, 422), body=f"{name}_create",
            ),
        },
        f"{base}/{{id}}": {
            "parameters": [_ID_PARAMETER],
            "get": _operation(f"read_{name}", f"One {name}.", record, (401, 404)),
            "patch": _operation(
                f"update_{name}", f"Change a {name} at the version read.", record,
                (400, 401, 403, 404, 409, 422, 428), body=f"{name}_update",
                parameters=[_if_match()],
            ),
            "delete": _operation(
                f"delete_{name}", f"Soft-delete a {name} (restorable).",
                {"204": {"description": "Deleted."}}, (400, 401, 403, 404, 409),
                parameters=[_if_match()],
            ),
        },
        f"{base}/{{id}}/restore": {
            "parameters": [_ID_PARAMETER],
            "post": _operation(
                f"restore_{name}", f"Bring a deleted {name} back.", record,
                (401, 403, 404, 409, 422),
            ),
        },
        f"{base}/{{id}}/history": {
            "parameters": [_ID_PARAMETER],
            "get": _operation(
                f"history_{name}", f"Every change of a {name}, oldest first.",
                _ok("History"), (401, 404),
            ),
        },
    }  # fmt: skip


def action_names(entity: EntitySpec) -> list[str]:
    """The actions of an entity's workflow: its transitions' names, then `transfer` and
    `add_approver` when a state has an approval step (empty without a workflow)."""
    workflow = entity.workflow
    if workflow is None:
        return []
    names = list(workflow.transitions)
    if any(state.approval is not None for state in workflow.states.values()):
        names.extend(a for a in APPROVAL_ONLY_ACTIONS if a not in names)
    return names


def _workflow_paths(base: str, entity: EntitySpec) -> dict[str, Schema]:
    name = entity.name
    action: Schema = {
        "name": "action",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": action_names(entity)},
    }
    return {
        f"{base}/{{id}}/actions": {
            "parameters": [_ID_PARAMETER],
            "get": _operation(
                f"actions_{name}", f"The workflow actions the caller may take on a {name} now.",
                _ok("ActionList"), (401, 404),
            ),
        },
        f"{base}/{{id}}/actions/{{action}}": {
            "parameters": [_ID_PARAMETER, action],
            "post": _operation(
                f"act_{name}",
                f"Take a workflow action on a {name}; the {name} afterwards.",
                _ok(name), (400, 401, 403, 404, 409, 422), body=f"{name}_action",
                parameters=[_if_match()], body_required=False,
            ),
        },
        f"{base}/{{id}}/approvals": {
            "parameters": [_ID_PARAMETER],
            "get": _operation(
                f"approvals_{name}", f"The approval trail of a {name}: steps and tasks.",
                _ok("ApprovalTrail"), (401, 404),
            ),
        },
    }  # fmt: skip


def manual_automations(app: AppSpec) -> dict[str, list[str]]:
    """The entities that have manual automations, each with their names."""
    found: dict[str, list[str]] = {}
    for automation in app.automations.values():
        for trigger in automation.triggers:
            entity = trigger.entity
            if trigger.type == "manual" and entity is not None and entity in app.entities:
                names = found.setdefault(entity, [])
                if automation.name not in names:
                    names.append(automation.name)
    return found


def _automation_paths(base: str, entity: str, automations: Sequence[str]) -> dict[str, Schema]:
    name: Schema = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": sorted(automations)},
    }
    return {
        f"{base}/{{id}}/automations/{{name}}": {
            "parameters": [_ID_PARAMETER, name],
            "post": _operation(
                f"run_automation_{entity}",
                f"Run a manual automation on a {entity}: its run id and status.",
                _ok("AutomationRun"), (401, 403, 404, 422),
            ),
        },
    }  # fmt: skip


def _automation_run_schema() -> Schema:
    return {
        "type": "object",
        "required": ["run_id", "status"],
        "properties": {
            "run_id": {"type": "integer", "nullable": True},
            "status": {"type": "string", "enum": ["done", "skipped", "stopped", "duplicate"]},
            "skipped_because": {
                "type": "string",
                "nullable": True,
                "description": "The condition that did not hold (status `skipped`).",
            },
        },
    }


def _dashboard_paths(base: str, app: AppSpec) -> dict[str, Schema]:
    locale: Schema = {
        "name": "locale",
        "in": "query",
        "schema": {"type": "string", "enum": list(app.locales)},
        "description": "The language of labels (default: the caller's).",
    }
    paths: dict[str, Schema] = {
        f"{base}/dashboards": {
            "get": _operation(
                "list_dashboards",
                "The dashboards the caller may open.",
                _ok("DashboardList"),
                (400, 401),
                parameters=[locale],
            ),
        },
    }
    if app.dashboards:
        name: Schema = {
            "name": "name",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": list(app.dashboards)},
        }
        paths[f"{base}/dashboards/{{name}}"] = {
            "parameters": [name],
            "get": _operation(
                "read_dashboard",
                "A dashboard computed for the caller: only the records and fields they may "
                "read; a widget that failed carries `error`.",
                _ok("Dashboard"),
                (400, 401, 403, 404),
                parameters=[locale],
            ),
        }
    return paths


def _inbox_paths(prefix: str) -> dict[str, Schema]:
    return {
        f"{prefix}/inbox": {
            "get": _operation(
                "inbox", "What waits for the caller, what they submitted, notifications.",
                _ok("Inbox"), (401,),
            ),
        },
        f"{prefix}/inbox/read": {
            "post": _operation(
                "mark_inbox_read", "Mark the caller's notifications read.",
                _ok("InboxRead"), (401,),
            ),
        },
    }  # fmt: skip


def _operation(
    operation_id: str,
    summary: str,
    responses: Schema,
    errors: Sequence[int],
    *,
    body: str | None = None,
    body_required: bool = True,
    parameters: Sequence[Schema] = (),
) -> Schema:
    operation: Schema = {"operationId": operation_id, "summary": summary}
    if parameters:
        operation["parameters"] = list(parameters)
    if body is not None:
        operation["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    operation["responses"] = {**responses, **{str(code): _error(code) for code in errors}}
    return operation


def _token_path() -> Schema:
    operation = _operation(
        "create_token", "Trade a username and password for a bearer token.",
        _ok("Token"), (400, 401), body="Credentials",
    )  # fmt: skip
    operation["security"] = []
    return {"post": operation}


def _list_parameters(entity: EntitySpec) -> list[Schema]:
    def query(name: str, schema: Schema, description: str) -> Schema:
        return {"name": name, "in": "query", "schema": schema, "description": description}

    keys = [*SYSTEM_SORT_KEYS, *(n for n, f in entity.fields.items() if f.type not in _LISTS)]
    one = f"-?({'|'.join(keys)})"
    sort = {"type": "string", "pattern": f"^({one}(,{one})*)?$"}
    return [
        query("filter", {"type": "string"}, "An expression, e.g. `amount > 1000`."),
        query("sort", sort, "Comma-separated fields; `-` for descending."),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Page size."),
        query("cursor", {"type": "string"}, "The `next_cursor` of the previous page."),
    ]


def _if_match() -> Schema:
    return {
        "name": "If-Match",
        "in": "header",
        "schema": {"type": "string"},
        "description": 'The version the request is based on, e.g. `"3"`.',
    }


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: str) -> Schema:
    content = {"application/json": {"schema": _ref(schema)}}
    return {"200": {"description": "OK.", "content": content}}


def _error(code: int) -> Schema:
    return {
        "description": _ERRORS[code],
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _common_schemas() -> dict[str, Schema]:
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": strings},
                        "current_version": {"type": "integer"},
                        "automation": {"type": "string"},
                        "where": {"type": "string", "nullable": True},
                    },
                }
            },
        },
        "Credentials": {
            "type": "object",
            "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
        },
        "Token": {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"type": "string"}},
        },
        "Me": {
            "type": "object",
            "required": ["username", "roles", "teams", "is_admin"],
            "properties": {
                "username": {"type": "string"},
                "name": {"type": "string", "nullable": True},
                "email": {"type": "string", "nullable": True},
                "roles": strings,
                "teams": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "manager": {"type": "string", "nullable": True},
                        },
                    },
                },
                "locale": {"type": "string", "nullable": True},
                "is_admin": {"type": "boolean"},
            },
        },
        "History": {
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "kind": {"type": "string"},
                            "at": {"type": "string", "format": "date-time"},
                            "by": {"type": "string", "nullable": True},
                            "changes": {"type": "object"},
                            "comment": {"type": "string", "nullable": True},
                            "details": {
                                "type": "object",
                                "description": "Workflow entries: action, from, to, step…",
                            },
                        },
                    },
                }
            },
        },
    }
