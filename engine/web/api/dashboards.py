"""Dashboards through the API: `GET /{app}/dashboards` lists the dashboards the caller may
open (name, label, each widget's id, type and title); `GET /{app}/dashboards/{name}`
computes one for the caller — only the records and fields they may read — and returns
every widget: its `value` (number, gauge; a gauge's `maximum`), `points` (charts,
leaderboards: `key`, `label`, `value`, in display order) or `columns` and `rows` (tables),
with `value_type` saying what the numbers are. Numbers are exact JSON number literals, as
in the records API; a widget that failed has `error` and no data, the others are complete.

Labels follow the caller's language, or `?locale=` (one of the app's locales). 403 when
the dashboard is not shown to the caller's roles, 404 for an unknown one.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from engine.runtime.actor import Actor
from engine.runtime.dashboard_results import DashboardResult, Point, TableRow, WidgetResult
from engine.runtime.engine import Engine
from engine.spec.model import EntitySpec, label_text
from engine.spec.model_dashboard import DashboardSpec
from engine.web.api.blueprint import APP_CONVERTER, bp
from engine.web.api.encoding import field_value, json_response
from engine.web.api.errors import ApiError
from engine.web.api.identity import current_actor
from engine.web.state import web_state

__all__ = ["dashboard_payload", "dashboards_are_read_only", "list_dashboards", "read_dashboard"]

DASHBOARDS = f"/<{APP_CONVERTER}:app>/dashboards"
_OTHERS = ("OPTIONS", "POST", "PUT", "PATCH", "DELETE")


def _caller() -> tuple[Engine, Actor, str]:
    """The engine, the caller and the language labels are written in."""
    actor = current_actor()
    engine = web_state().engine
    asked = request.args.get("locale")
    if asked is not None and asked not in engine.app.locales:
        choices = ", ".join(engine.app.locales)
        raise ApiError(400, f"'locale' must be one of the app's languages ({choices})")
    language = asked or engine.runtime.locale_of(actor.locale).split("-")[0]
    return engine, actor, language


@bp.get(DASHBOARDS, provide_automatic_options=False)
def list_dashboards(app: str) -> Response:
    """The dashboards the caller may open."""
    engine, actor, language = _caller()
    items = [_summary(d, language) for d in engine.dashboards.visible(actor)]
    return json_response({"items": items})


@bp.get(f"{DASHBOARDS}/<name>", provide_automatic_options=False)
def read_dashboard(app: str, name: str) -> Response:
    """One dashboard, computed for the caller."""
    engine, actor, language = _caller()
    result = engine.dashboards.compute(actor, name, locale=language)
    return json_response(dashboard_payload(engine, result, language))


@bp.route(DASHBOARDS, methods=list(_OTHERS))
@bp.route(f"{DASHBOARDS}/<name>", methods=list(_OTHERS))
def dashboards_are_read_only(app: str, name: str | None = None) -> Response:
    """OPTIONS names the methods of a dashboard path; others are 405. Without this
    route, a write to `/{app}/dashboards` would reach the record routes as an entity named
    `dashboards` (a 404), and OPTIONS would list their methods."""
    allow = {"Allow": "GET, HEAD, OPTIONS"}
    if request.method == "OPTIONS":
        return Response(status=200, headers=allow)
    raise ApiError(405, "dashboards are read-only: use GET", headers=allow)


def _summary(dashboard: DashboardSpec, language: str) -> dict[str, Any]:
    return {
        "name": dashboard.name,
        "label": label_text(dashboard.label, language, dashboard.name),
        "widgets": [
            {"id": w.id, "type": w.type, "title": label_text(w.title, language, w.id)}
            for w in dashboard.widgets
        ],
    }


def dashboard_payload(engine: Engine, result: DashboardResult, language: str) -> dict[str, Any]:
    """A computed dashboard as the API returns it."""
    dashboard = result.spec
    return {
        "name": dashboard.name,
        "label": label_text(dashboard.label, language, dashboard.name),
        "today": result.today,
        "widgets": [_widget(engine, widget, language) for widget in result.widgets],
    }


def _widget(engine: Engine, result: WidgetResult, language: str) -> dict[str, Any]:
    spec = result.spec
    entity = engine.app.entities.get(spec.entity or "")
    return {
        "id": spec.id,
        "type": spec.type,
        "title": label_text(spec.title, language, spec.id),
        "entity": spec.entity,
        "width": spec.width,
        "value_type": result.value_type,
        "value": result.value,
        "maximum": result.maximum,
        "points": [_point(point) for point in result.points],
        "columns": list(result.columns),
        "rows": [_row(entity, row) for row in result.rows],
        "error": result.error,
    }


def _point(point: Point) -> dict[str, Any]:
    return {"key": point.key, "label": point.label, "value": point.value}


def _row(entity: EntitySpec | None, row: TableRow) -> dict[str, Any]:
    fields = entity.fields if entity is not None else {}
    values = {name: field_value(fields.get(name), value) for name, value in row.values.items()}
    return {"id": row.record_id, "values": values}
