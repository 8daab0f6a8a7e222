"""Logging in and out, CSRF, the session's user and the login redirect
(engine/web/auth.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.runtime.engine import Engine

ClientFactory = Callable[[str], FlaskClient]


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def _login(client: FlaskClient, username: str, password: str, **extra: str) -> TestResponse:
    token = _token(client.get("/login").get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data)


def test_login_page_is_in_the_apps_first_language(anonymous: FlaskClient) -> None:
    response = anonymous.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh">' in html
    assert "用户名" in html and "销售管理" in html


def test_login_with_the_right_password_opens_the_home_page(anonymous: FlaskClient) -> None:
    response = _login(anonymous, "rep_east_1", "demo")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = anonymous.get("/").get_data(as_text=True)
    assert "rep_east_1" in home
    assert "Customers" in home  # rep_east_1 reads English


def test_failed_login_does_not_tell_which_part_was_wrong(anonymous: FlaskClient) -> None:
    wrong_password = _login(anonymous, "rep_east_1", "nope")
    unknown_user = _login(anonymous, "nobody", "demo")
    assert wrong_password.status_code == unknown_user.status_code == 401
    message = "用户名或密码不正确，或账户已停用。"
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_user.get_data(as_text=True)
    assert 'value="nobody"' in unknown_user.get_data(as_text=True)  # what was typed stays


def test_a_deactivated_user_cannot_log_in(anonymous: FlaskClient, web_engine: Engine) -> None:
    web_engine.people.deactivate("rep_east_2")
    assert _login(anonymous, "rep_east_2", "demo").status_code == 401


def test_a_deactivated_users_session_ends(client_for: ClientFactory, web_engine: Engine) -> None:
    client = client_for("rep_east_2")
    assert client.get("/").status_code == 200
    web_engine.people.deactivate("rep_east_2")
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_without_the_csrf_token_is_refused(anonymous: FlaskClient) -> None:
    anonymous.get("/login")
    response = anonymous.post("/login", data={"username": "rep_east_1", "password": "demo"})
    assert response.status_code == 400
    assert anonymous.get("/").status_code == 302  # still not logged in


def test_pages_send_visitors_to_the_login_and_back(anonymous: FlaskClient) -> None:
    response = anonymous.get("/e/customer?view=mine")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/e/customer?view%3Dmine"
    back = _login(anonymous, "rep_east_1", "demo", next="/e/customer?view=mine")
    assert back.headers["Location"] == "/e/customer?view=mine"


def test_login_never_redirects_off_site(anonymous: FlaskClient) -> None:
    response = _login(anonymous, "rep_east_1", "demo", next="//evil.example/x")
    assert response.headers["Location"] == "/"


def test_logout_needs_post_and_the_token(client_for: ClientFactory, csrf: str) -> None:
    client = client_for("rep_east_1")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_session_username_and_current_actor(client_for: ClientFactory) -> None:
    from engine.web.auth import current_actor, session_username

    client = client_for("manager_east")
    with client:
        client.get("/")
        actor = current_actor()
        assert session_username() == "manager_east"
        assert actor is not None and actor.roles == frozenset({"sales_manager"})
