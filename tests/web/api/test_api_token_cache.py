"""The short-lived token → actor cache of the API: a burst of calls looks the token up once;
a change made elsewhere (another process) takes effect within the TTL, a change made through
this process's engine at once; unknown tokens are never cached."""

from __future__ import annotations

import sqlalchemy as sa
from api_clients import error_of
from flask import Flask
from flask.testing import FlaskClient

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.people import token_digest
from engine.web.api.identity import ACTOR_CACHE_KEY, TokenActorCache
from engine.web.state import web_state


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def install_cache(app: Flask, engine: Engine, clock: FakeClock) -> TokenActorCache:
    """Give the app a cache on `clock` (the app makes a real-time one on first use)."""
    cache = TokenActorCache(ttl=5.0, clock=clock)
    cache.watch(engine)
    web_state(app).extras[ACTOR_CACHE_KEY] = cache
    return cache


def revoke_elsewhere(engine: Engine, token: str) -> None:
    """Revoke a token through a connection of its own, as another process would (the
    engine's own statements are not involved, so nothing tells this process)."""
    url = engine.db.engine.url
    other = sa.create_engine(url)
    tokens = engine.tables.system.tokens
    try:
        with other.begin() as connection:
            written = connection.execute(
                tokens.update()
                .where(tokens.c.token_hash == token_digest(token))
                .values(revoked_at=engine.clock.now())
            )
            assert written.rowcount == 1
    finally:
        other.dispose()


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache = TokenActorCache(ttl=5.0, clock=clock)
    actor = Actor(username="rep_east_1")
    cache.put("digest", actor)
    clock.seconds += 4.9
    assert cache.get("digest") is actor
    clock.seconds += 0.1
    assert cache.get("digest") is None
    assert cache.get("never-put") is None


def test_a_full_cache_drops_expired_entries_then_the_oldest() -> None:
    clock = FakeClock()
    cache = TokenActorCache(ttl=5.0, clock=clock, size=2)
    cache.put("a", Actor(username="a"))
    clock.seconds += 10
    cache.put("b", Actor(username="b"))
    cache.put("c", Actor(username="c"))  # "a" has expired: it goes, "b" stays
    assert cache.get("b") is not None and cache.get("c") is not None
    cache.put("d", Actor(username="d"))  # nothing expired: the oldest ("b") goes
    assert cache.get("b") is None and cache.get("d") is not None


def test_a_token_revoked_elsewhere_stops_working_within_the_ttl(
    web_app: Flask, web_engine: Engine, anonymous: FlaskClient
) -> None:
    clock = FakeClock()
    install_cache(web_app, web_engine, clock)
    token = web_engine.people.create_token("rep_east_1")
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/v1/me", headers=headers).status_code == 200
    revoke_elsewhere(web_engine, token)
    clock.seconds += 4.0
    # Still inside the TTL: the cached actor answers (the documented price of the cache).
    assert anonymous.get("/api/v1/me", headers=headers).status_code == 200
    clock.seconds += 1.0
    response = anonymous.get("/api/v1/me", headers=headers)
    assert error_of(response, 401)["code"] == "unauthorized"


def test_changes_through_this_engine_take_effect_at_once(
    web_app: Flask, web_engine: Engine, anonymous: FlaskClient
) -> None:
    clock = FakeClock()
    cache = install_cache(web_app, web_engine, clock)
    token = web_engine.people.create_token("rep_west_1")
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/v1/me", headers=headers).get_json()["roles"] == ["sales_rep"]
    assert cache.get(token_digest(token)) is not None
    web_engine.people.grant_role(web_engine.app.id, "rep_west_1", "finance")
    assert cache.get(token_digest(token)) is None
    roles = anonymous.get("/api/v1/me", headers=headers).get_json()["roles"]
    assert roles == ["finance", "sales_rep"]
    web_engine.people.revoke_token(token)
    response = anonymous.get("/api/v1/me", headers=headers)
    assert error_of(response, 401)["code"] == "unauthorized"


def test_unknown_tokens_are_not_cached(
    web_app: Flask, web_engine: Engine, anonymous: FlaskClient
) -> None:
    clock = FakeClock()
    cache = install_cache(web_app, web_engine, clock)
    response = anonymous.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert error_of(response, 401)["code"] == "unauthorized"
    assert cache.get(token_digest("nonsense")) is None
