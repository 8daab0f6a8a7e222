"""Dashboard pages: `/dashboards` (the dashboards the reader may see; straight to it when
there is one) and `/dashboards/<name>` (its widgets on a 12-column grid, each as wide as
its `width`), plus the navigation's list of the reader's dashboards.

The figures come from `Engine.dashboards` (engine/runtime/dashboards.py), computed with
the reader's permissions; this module only lays them out (`dashboard_widgets`, `charts`).
A dashboard that does not exist is *not found* (404); one whose `roles` leave the reader
out is *not allowed* (403).

Order: first the dashboards that name one of the reader's own roles (not one they only
inherit: a director's company dashboard before the reps' "My targets"), among them those
made for fewer roles (a rep's "My targets" before the leaderboard everyone shares), then
as the app declares them. The first is the one the home page lists first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, redirect, render_template, url_for

from engine.errors import Forbidden, NotFound
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.spec.model_dashboard import DashboardSpec
from engine.web.auth import current_actor
from engine.web.state import web_state
from engine.web.ui.blueprint import bp, page
from engine.web.ui.dashboard_widgets import widget_view

__all__ = ["dashboard", "dashboards", "visible_dashboards"]


def visible_dashboards(engine: Engine, actor: Actor) -> list[DashboardSpec]:
    """The dashboards `actor` may open, most their own first (see the module docstring)."""
    declared = list(engine.app.dashboards)
    everyone = len(engine.app.roles) + 1

    def order(dashboard: DashboardSpec) -> tuple[int, int, int]:
        own = any(role in actor.roles for role in dashboard.roles)
        return (0 if own else 1, len(dashboard.roles) or everyone, declared.index(dashboard.name))

    return sorted(engine.dashboards.visible(actor), key=order)


@bp.app_context_processor
def _dashboard_globals() -> dict[str, Any]:
    """`nav_dashboards()` for the navigation (called only where the layout shows it)."""

    def nav_dashboards() -> Sequence[DashboardSpec]:
        actor = current_actor()
        if actor is None:
            return []
        return visible_dashboards(web_state().engine, actor)

    return {"nav_dashboards": nav_dashboards}


@bp.route("/dashboards")
def dashboards() -> Any:
    """The reader's dashboards (their only one opens at once)."""
    current = page()
    shown = visible_dashboards(current.engine, current.actor)
    if len(shown) == 1:
        return redirect(url_for("ui.dashboard", name=shown[0].name))
    return render_template("ui/dashboards.html", dashboards=shown)


@bp.route("/dashboards/<name>")
def dashboard(name: str) -> Any:
    """One dashboard, computed for the reader today."""
    current = page()
    spec = current.engine.app.dashboards.get(name)
    if spec is None:
        abort(404)
    shown = visible_dashboards(current.engine, current.actor)
    if all(d.name != name for d in shown):
        abort(403)
    try:
        result = current.engine.dashboards.compute(current.actor, name, locale=current.locale)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    widgets = [widget_view(w, current.presenter, current.locale) for w in result.widgets]
    return render_template(
        "ui/dashboard.html", dashboard=spec, dashboards=shown, widgets=widgets, today=result.today
    )
