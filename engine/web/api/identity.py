"""Who is calling: `POST /auth/token` trades a username and password for a bearer token;
every other call carries `Authorization: Bearer TOKEN` (or the UI's session cookie, so
the browser's own pages can call the API); `GET /me` describes the caller.

A request authenticated by the session cookie must carry the session's CSRF token
(`X-CSRF-Token`) when it changes anything, exactly like the UI's own forms.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from engine.errors import NotFound
from engine.runtime.actor import Actor
from engine.web.api.blueprint import bp
from engine.web.api.encoding import json_response, read_json_object
from engine.web.api.errors import ApiError
from engine.web.state import web_state

__all__ = ["current_actor", "issue_token", "me"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="formwork"'}


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers=_CHALLENGE)


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("use 'Authorization: Bearer TOKEN' (POST /api/v1/auth/token)")
    return token.strip()


def _session_username() -> str | None:
    """The session's user; an unsafe request must also carry the session's CSRF token."""
    try:
        from engine.web.auth import check_csrf, session_username
    except ImportError:  # the UI's auth module is optional for the API
        return None
    username = session_username()
    if username is not None:
        check_csrf()
    return username


def current_actor() -> Actor:
    """The caller as an `Actor` (cached on `g`); 401 without valid credentials."""
    cached = g.get("api_actor")
    if isinstance(cached, Actor):
        return cached
    engine = web_state().engine
    token = _bearer_token()
    actor: Actor | None = None
    if token is not None:
        actor = engine.people.actor_for_token(token, engine.app.id)
        if actor is None:
            raise _unauthorized("the token is unknown, revoked, or its user is inactive")
    else:
        username = _session_username()
        if username is None:
            raise _unauthorized("sign in: send 'Authorization: Bearer TOKEN'")
        try:
            actor = engine.actor(username)
        except NotFound as error:
            raise _unauthorized("the signed-in user is no longer active") from error
    g.api_actor = actor
    return actor


@bp.post("/auth/token")
def issue_token() -> Response:
    """Trade `{username, password}` for a new API token."""
    body = read_json_object()
    username = body.get("username") if body is not None else None
    password = body.get("password") if body is not None else None
    if not isinstance(username, str) or not isinstance(password, str):
        raise ApiError(400, 'send a JSON object {"username": …, "password": …}')
    people = web_state().engine.people
    if not username or not password or not people.verify_password(username, password):
        raise _unauthorized("the username or password is wrong")
    return json_response({"token": people.create_token(username)})


@bp.get("/me")
def me() -> Response:
    """The caller: username, name, e-mail, roles, teams, locale, is_admin."""
    actor = current_actor()
    people = web_state().engine.people
    assert actor.username is not None  # API callers are users, never the system
    user = people.get_user(actor.username)
    teams: list[dict[str, Any]] = []
    if user.team_id is not None:
        team = people.get_team(user.team_id)
        teams.append({"id": team.id, "name": team.name, "manager": team.manager})
    return json_response(
        {
            "username": user.username,
            "name": user.name,
            "email": user.email,
            "roles": sorted(actor.roles),
            "teams": teams,
            "locale": user.locale,
            "is_admin": user.is_admin,
        }
    )
