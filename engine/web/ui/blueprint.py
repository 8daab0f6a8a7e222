"""The `ui` blueprint object and what every UI request shares: login and CSRF checks, the
generated form classes (built once at registration), the reader's actor, language and
presenter, and the entities they may open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask import Blueprint, Flask, abort, g, redirect, request, url_for
from flask.blueprints import BlueprintSetupState

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.spec.model import EntitySpec
from engine.web.auth import check_csrf, current_actor
from engine.web.i18n import current_locale
from engine.web.state import web_state
from engine.web.ui.display import Presenter
from engine.web.ui.forms import FormLayout, build_form_classes

__all__ = ["FORMS_KEY", "Page", "bp", "entity_or_404", "form_layout", "page", "readable_entities"]

FORMS_KEY = "ui_forms"
bp = Blueprint("ui", __name__)


@bp.record_once
def _build_forms(setup: BlueprintSetupState) -> None:
    """The WTForms classes of every entity form, built once per Flask app."""
    state = web_state(cast(Flask, setup.app))
    state.extras[FORMS_KEY] = build_form_classes(state.engine.app.entities)


@bp.before_request
def _require_login() -> Any:
    if current_actor() is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    check_csrf()
    return None


@dataclass(frozen=True)
class Page:
    """The per-request view of the served app for one reader."""

    engine: Engine
    actor: Actor
    locale: str
    presenter: Presenter


def page() -> Page:
    """The current request's engine, actor, language and presenter (logged in)."""
    cached = g.get("fw_page")
    if isinstance(cached, Page):
        return cached
    actor = current_actor()
    if actor is None:
        abort(401)
    engine = web_state().engine
    locale = current_locale()
    made = Page(engine, actor, locale, Presenter(engine, actor, locale))
    g.fw_page = made
    return made


def readable_entities(engine: Engine, actor: Actor) -> list[EntitySpec]:
    """The entities the actor may list, in declaration order."""
    permissions = engine.permissions
    return [e for e in engine.app.entities.values() if permissions.can(actor, e.name, "read")]


def entity_or_404(name: str) -> EntitySpec:
    """The entity `name` when the reader may list it (404 otherwise: it does not exist for
    them)."""
    current = page()
    entity = current.engine.app.entities.get(name)
    if entity is None or not current.engine.permissions.can(current.actor, name, "read"):
        abort(404)
    return entity


def form_layout(entity: EntitySpec, mode: str, requested: str | None = None) -> FormLayout:
    """The form for `mode` (create / edit / view): the requested one when it serves the
    mode, else `default`, else the first that does."""
    forms: dict[tuple[str, str], FormLayout] = web_state().extras[FORMS_KEY]  # type: ignore[assignment]
    candidates = [layout for (owner, _), layout in forms.items() if owner == entity.name]
    serving = [layout for layout in candidates if mode in layout.modes]
    for layout in serving:
        if layout.name == requested:
            return layout
    for layout in serving:
        if layout.name == "default":
            return layout
    return (serving or candidates)[0]
