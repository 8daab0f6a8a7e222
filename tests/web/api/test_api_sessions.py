"""Bearer-token API calls skip the cookie session (engine/web/api/sessions.py); the UI's
session, its login and the session-cookie API path are unaffected."""

from __future__ import annotations

from collections.abc import Callable

from api_clients import BASE, bearer
from flask.testing import FlaskClient

from engine.runtime.engine import Engine

ClientFactory = Callable[[str], FlaskClient]


def test_a_bearer_call_sets_no_cookie(anonymous: FlaskClient, web_engine: Engine) -> None:
    headers = bearer(web_engine, "rep_east_1")
    response = anonymous.post(f"{BASE}/customer", json={"name": "No Cookie Co"}, headers=headers)
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert anonymous.get_cookie("session") is None


def test_a_bearer_call_ignores_and_keeps_the_session_cookie(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    client = client_for("rep_west_2")
    before = client.get_cookie("session")
    assert before is not None
    headers = bearer(web_engine, "rep_east_1")
    me = client.get("/api/v1/me", headers=headers)
    assert me.get_json()["username"] == "rep_east_1"  # the token, not the cookie
    assert "Set-Cookie" not in me.headers
    after = client.get_cookie("session")
    assert after is not None and after.value == before.value
    # Without the header the same client is the session's user again.
    assert client.get("/api/v1/me").get_json()["username"] == "rep_west_2"


def test_a_bearer_write_needs_no_csrf_token(anonymous: FlaskClient, web_engine: Engine) -> None:
    headers = bearer(web_engine, "rep_east_1")
    response = anonymous.post(f"{BASE}/customer", json={"name": "Token Co"}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["owner"] == "rep_east_1"


def test_ui_pages_keep_the_session_even_with_an_authorization_header(
    client_for: ClientFactory,
) -> None:
    client = client_for("rep_east_1")
    home = client.get("/", headers={"Authorization": "Bearer not-for-the-ui"})
    assert home.status_code == 200
    assert "rep_east_1" in home.get_data(as_text=True)


def test_an_api_call_without_a_header_still_reads_the_session(client_for: ClientFactory) -> None:
    client = client_for("rep_west_2")
    assert client.get("/api/v1/me").get_json()["username"] == "rep_west_2"
