"""Who is calling: `POST /auth/token` trades a username and password for a bearer token;
every other call carries `Authorization: Bearer TOKEN` (or the UI's session cookie, so
the browser's own pages can call the API); `GET /me` describes the caller.

A request authenticated by the session cookie must carry the session's CSRF token
(`X-CSRF-Token`) when it changes anything, exactly like the UI's own forms.

A bearer token's actor (user, roles, teams: about five statements) is kept for
`ACTOR_CACHE_TTL` seconds per Flask app, keyed by the token's SHA-256, so a burst of calls
does not repeat the lookup. The price: revoking a token, deactivating its user or changing
their roles or teams takes effect on this process within those seconds, not at once.
Unknown tokens are never cached (a new token works at once); `last_used_at` is noted on
the lookups that do reach the database (it is throttled to minutes there anyway).
Changes made through this process's own engine (the people service, the admin pages) are
seen at once: any write to the people tables empties the cache, again at its commit.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import Response, g, request
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import UpdateBase

from engine.errors import NotFound
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.people import token_digest
from engine.web.api.blueprint import bp
from engine.web.api.encoding import json_response, read_json_object
from engine.web.api.errors import ApiError
from engine.web.state import web_state

__all__ = [
    "ACTOR_CACHE_KEY",
    "ACTOR_CACHE_TTL",
    "TokenActorCache",
    "actor_cache",
    "current_actor",
    "issue_token",
    "me",
]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="formwork"'}

ACTOR_CACHE_TTL = 5.0
"""Seconds a token's actor is reused: the longest a revoked token keeps working here."""
ACTOR_CACHE_KEY = "api.token_actors"
"""Where the app's `TokenActorCache` lives in `WebState.extras`."""
_ACTOR_CACHE_SIZE = 1024


class TokenActorCache:
    """Actors by token digest, each kept `ttl` seconds after its lookup (`clock`: seconds,
    monotonic; injectable for tests). Bounded: when full, expired entries go, then the
    oldest."""

    def __init__(
        self,
        ttl: float = ACTOR_CACHE_TTL,
        clock: Callable[[], float] = time.monotonic,
        size: int = _ACTOR_CACHE_SIZE,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.size = size
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Actor | None:
        """The cached actor of a token digest, None when absent or expired."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if self.clock() >= entry[0]:
            with self._lock:
                if self._entries.get(digest) is entry:
                    del self._entries[digest]
            return None
        return entry[1]

    def put(self, digest: str, actor: Actor) -> None:
        """Keep `actor` for `ttl` seconds from now."""
        now = self.clock()
        with self._lock:
            if len(self._entries) >= self.size:
                for key in [k for k, (until, _) in self._entries.items() if now >= until]:
                    del self._entries[key]
                while len(self._entries) >= self.size:
                    del self._entries[next(iter(self._entries))]
            self._entries[digest] = (now + self.ttl, actor)

    def clear(self) -> None:
        """Forget every actor."""
        with self._lock:
            self._entries.clear()

    def watch(self, engine: Engine) -> None:
        """Empty the cache whenever `engine` writes a table an actor is made of (users,
        teams, memberships, roles, tokens), and again when that transaction commits (a
        lookup in between may have read the old rows)."""
        system = engine.tables.system
        tables = (system.users, system.teams, system.memberships, system.user_roles)
        _watch_writes(engine.db.engine, (*tables, system.tokens), weakref.ref(self))


_DIRTY = "formwork.people_written"


def _watch_writes(
    bind: sa.Engine, tables: Iterable[sa.Table], ref: weakref.ref[TokenActorCache]
) -> None:
    watched = frozenset(tables)

    def after_execute(connection: Connection, statement: Any, *_: Any) -> None:
        if isinstance(statement, UpdateBase) and statement.table in watched:
            connection.info[_DIRTY] = True
            cache = ref()
            if cache is not None:
                cache.clear()

    def after_commit(connection: Connection) -> None:
        if connection.info.pop(_DIRTY, False):
            cache = ref()
            if cache is not None:
                cache.clear()

    def after_rollback(connection: Connection) -> None:
        connection.info.pop(_DIRTY, None)

    event.listen(bind, "after_execute", after_execute)
    event.listen(bind, "commit", after_commit)
    event.listen(bind, "rollback", after_rollback)


def actor_cache() -> TokenActorCache:
    """The current Flask app's token → actor cache (made, and set to watch the engine's
    people tables, on first use)."""
    state = web_state()
    cache = state.extras.get(ACTOR_CACHE_KEY)
    if not isinstance(cache, TokenActorCache):
        cache = TokenActorCache()
        cache.watch(state.engine)
        state.extras[ACTOR_CACHE_KEY] = cache
    return cache


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
        cache = actor_cache()
        digest = token_digest(token)
        actor = cache.get(digest)
        if actor is None:
            actor = engine.people.actor_for_token(token, engine.app.id)
            if actor is None:
                raise _unauthorized("the token is unknown, revoked, or its user is inactive")
            cache.put(digest, actor)
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
