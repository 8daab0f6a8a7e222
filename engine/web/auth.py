"""Sessions of the HTML UI: logging in and out, who is logged in, CSRF tokens, the user's
language.

The session is Flask's signed cookie; it holds the username only. `current_actor()` loads
the user's `Actor` for the served app once per request (an unknown or deactivated user is
treated as logged out). Every state-changing request of the HTML blueprints must carry the
session's CSRF token (`csrf_token` form field or `X-CSRF-Token` header): `check_csrf` is
their `before_request`. The API blueprint authenticates with bearer tokens and is not
covered here.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from engine.errors import NotFound
from engine.runtime.actor import Actor
from engine.web.i18n import LOCALE_NAMES, SESSION_LOCALE, current_locale, label, translate
from engine.web.state import web_state

__all__ = [
    "SESSION_USER",
    "bp",
    "check_csrf",
    "csrf_token",
    "current_actor",
    "login_required",
    "login_user",
    "logout_user",
    "session_username",
]

SESSION_USER = "user"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def login_user(username: str) -> None:
    """Start a session for `username` (a fresh session: no fixation, a new CSRF token)."""
    locale = session.get(SESSION_LOCALE)
    session.clear()
    session[SESSION_USER] = username
    if locale:
        session[SESSION_LOCALE] = locale
    session.permanent = True
    g.pop("fw_actor", None)
    g.pop("fw_locale", None)


def logout_user() -> None:
    """End the session (the chosen language stays)."""
    locale = session.get(SESSION_LOCALE)
    session.clear()
    if locale:
        session[SESSION_LOCALE] = locale
    g.pop("fw_actor", None)


def session_username() -> str | None:
    """The username of the session, or None when nobody is logged in."""
    username = session.get(SESSION_USER)
    return username if isinstance(username, str) else None


def current_actor() -> Actor | None:
    """The Actor of the session's user in the served app (None: not logged in, or the
    user no longer exists or was deactivated)."""
    if "fw_actor" in g:
        return cast(Actor | None, g.fw_actor)
    username = session_username()
    actor: Actor | None = None
    if username is not None:
        try:
            actor = web_state().engine.actor(username)
        except NotFound:
            session.pop(SESSION_USER, None)
    g.fw_actor = actor
    g.pop("fw_locale", None)
    return actor


def login_required(view: F) -> F:
    """Send visitors who are not logged in to the login page (and back afterwards)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return token


def check_csrf() -> None:
    """Refuse (400) an unsafe request without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(SESSION_CSRF)
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        abort(400, description=translate("error.csrf"))


bp.before_request(check_csrf)


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    state = web_state()

    def nav_entities() -> list[Any]:
        actor = current_actor()
        if actor is None:
            return []
        permissions = state.engine.permissions
        entities = state.engine.app.entities.values()
        return [e for e in entities if permissions.can(actor, e.name, "read")]

    return {
        "csrf_token": csrf_token,
        "current_actor": current_actor,
        "app_spec": lambda: state.engine.app,
        "app_locales": lambda: state.locales,
        "locale_name": lambda code: LOCALE_NAMES.get(code, code),
        "nav_entities": nav_entities,
        "t": translate,
        "label": label,
        "locale": current_locale,
    }


@bp.app_errorhandler(HTTPException)
def _error_page(error: HTTPException) -> Any:
    """HTML error pages in the user's language (JSON under /api/, for API clients)."""
    code = error.code or 500
    if request.path.startswith("/api/"):
        body = {"error": {"code": _API_CODES.get(code, "error"), "message": error.description}}
        return jsonify(body), code
    heading = translate(f"error.{code}") if code in _PAGES else error.name
    message = error.description if code in (400,) else translate(f"error.{code}.text")
    page = render_template("error.html", code=code, heading=heading, message=message)
    return page, code


_PAGES = frozenset({400, 403, 404, 405, 500})
_API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_failed",
}


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("ui.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login page; a failed attempt says so without telling which part was wrong."""
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        people = web_state().engine.people
        if username and password and people.verify_password(username, password):
            login_user(username)
            return redirect(_safe_next(request.form.get("next")))
        error = translate("login.failed")
    status = 401 if error else 200
    page = render_template(
        "login.html", error=error, username=username, next=request.values.get("next", "")
    )
    return page, status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the session and show the login page."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/locale", methods=["POST"])
def switch_locale() -> Response:
    """Switch the UI language: stored on the user when logged in, else in the session."""
    locale = request.form.get("locale", "")
    state = web_state()
    if locale not in state.locales:
        abort(400, description=translate("error.locale"))
    session[SESSION_LOCALE] = locale
    actor = current_actor()
    if actor is not None and actor.username is not None:
        state.engine.people.update_user(actor.username, locale=locale)
    g.pop("fw_actor", None)
    g.pop("fw_locale", None)
    return redirect(_safe_next(request.form.get("next")))
