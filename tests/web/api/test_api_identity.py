"""Tokens, bearer authentication, the session-cookie path and `GET /me`."""

from __future__ import annotations

from collections.abc import Callable

from api_clients import bearer, error_of
from flask.testing import FlaskClient

from engine.runtime.engine import Engine

TOKEN = "/api/v1/auth/token"
ClientFactory = Callable[[str], FlaskClient]


def test_token_for_good_credentials_opens_the_api(anonymous: FlaskClient) -> None:
    response = anonymous.post(TOKEN, json={"username": "rep_east_1", "password": "demo"})
    assert response.status_code == 200
    token = response.get_json()["token"]
    me = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "rep_east_1"


def test_wrong_password_or_unknown_user_is_401(anonymous: FlaskClient) -> None:
    for username, password in (("rep_east_1", "nope"), ("ghost", "demo"), ("rep_east_1", "")):
        response = anonymous.post(TOKEN, json={"username": username, "password": password})
        assert error_of(response, 401)["code"] == "unauthorized"


def test_malformed_token_request_is_400(anonymous: FlaskClient) -> None:
    assert error_of(anonymous.post(TOKEN, json={"username": "x"}), 400)["code"] == "bad_request"
    assert error_of(anonymous.post(TOKEN, data="username=x"), 400)["code"] == "bad_request"
    assert error_of(anonymous.post(TOKEN, json=[1, 2]), 400)["code"] == "bad_request"


def test_calls_without_credentials_are_401_with_a_challenge(anonymous: FlaskClient) -> None:
    response = anonymous.get("/api/v1/sales_crm/deal")
    assert error_of(response, 401)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_revoked_or_misspelt_tokens_are_401(
    anonymous: FlaskClient, web_engine: Engine
) -> None:
    token = web_engine.people.create_token("rep_east_1")
    web_engine.people.revoke_token(token)
    for header in (f"Bearer {token}", "Bearer nonsense", f"Token {token}", "Bearer "):
        response = anonymous.get("/api/v1/me", headers={"Authorization": header})
        assert error_of(response, 401)["code"] == "unauthorized"


def test_a_deactivated_users_token_stops_working(
    anonymous: FlaskClient, web_engine: Engine
) -> None:
    headers = bearer(web_engine, "rep_west_1")
    assert anonymous.get("/api/v1/me", headers=headers).status_code == 200
    web_engine.people.deactivate("rep_west_1")
    assert error_of(anonymous.get("/api/v1/me", headers=headers), 401)["code"] == "unauthorized"


def test_me_describes_the_caller(anonymous: FlaskClient, web_engine: Engine) -> None:
    body = anonymous.get("/api/v1/me", headers=bearer(web_engine, "manager_east")).get_json()
    east = web_engine.people.team_by_name("East")
    assert body == {
        "username": "manager_east",
        "name": "Manager East",
        "email": None,
        "roles": ["sales_manager"],
        "teams": [{"id": east.id, "name": "East", "manager": "manager_east"}],
        "locale": "en",
        "is_admin": False,
    }
    admin = anonymous.get("/api/v1/me", headers=bearer(web_engine, "admin")).get_json()
    assert admin["is_admin"] is True and admin["teams"] == []


def test_the_ui_session_cookie_authenticates_reads(client_for: ClientFactory) -> None:
    client = client_for("rep_west_2")
    assert client.get("/api/v1/me").get_json()["username"] == "rep_west_2"


def test_session_writes_need_the_csrf_token(client_for: ClientFactory) -> None:
    from engine.web.auth import SESSION_CSRF

    client = client_for("rep_east_1")
    body = {"name": "Cookie Co"}
    refused = client.post("/api/v1/sales_crm/customer", json=body)
    assert error_of(refused, 400)["code"] == "bad_request"
    with client.session_transaction() as session:
        session[SESSION_CSRF] = "known-token"
    accepted = client.post(
        "/api/v1/sales_crm/customer", json=body, headers={"X-CSRF-Token": "known-token"}
    )
    assert accepted.status_code == 201
    assert accepted.get_json()["owner"] == "rep_east_1"
