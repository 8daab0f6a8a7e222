"""Admin pages for users and teams (engine/web/admin/)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from engine.runtime.engine import Engine

ClientFactory = Callable[[str], FlaskClient]


def test_admin_pages_are_forbidden_to_non_admins(
    client_for: ClientFactory, anonymous: FlaskClient, csrf: str
) -> None:
    rep = client_for("director")
    for path in ("/admin/users", "/admin/users/new", "/admin/teams", "/admin/users/rep_east_1"):
        assert rep.get(path).status_code == 403
    assert (
        rep.post("/admin/users/new", data={"csrf_token": csrf, "username": "x"}).status_code == 403
    )
    assert anonymous.get("/admin/users").status_code == 302


def test_the_user_list_shows_teams_and_roles(client: FlaskClient) -> None:
    html = client.get("/admin/users").get_data(as_text=True)
    row = re.search(r"rep_east_1</a></td>(.*?)</tr>", html, re.S)
    assert row is not None
    assert "East" in row.group(1) and "sales_rep" in row.group(1)


def test_an_admin_creates_a_user_who_can_log_in(
    client: FlaskClient, csrf: str, web_engine: Engine
) -> None:
    east = web_engine.people.team_by_name("East")
    data = {
        "csrf_token": csrf, "username": "rep_east_3", "name": "New Rep", "email": "n@x.cn",
        "password": "secret", "locale": "zh", "team": str(east.id), "roles": ["sales_rep"],
    }  # fmt: skip
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 302
    actor = web_engine.actor("rep_east_3")
    assert actor.roles == frozenset({"sales_rep"}) and actor.team_id == east.id
    assert actor.locale == "zh"
    assert web_engine.people.verify_password("rep_east_3", "secret")


def test_a_taken_username_is_reported(client: FlaskClient, csrf: str) -> None:
    data = {"csrf_token": csrf, "username": "rep_east_1", "password": "secret", "locale": "en"}
    html = client.post("/admin/users/new", data=data).get_data(as_text=True)
    assert "already exists" in html


def test_edit_roles_deactivate_and_reset_password(
    client: FlaskClient, csrf: str, web_engine: Engine
) -> None:
    data = {"csrf_token": csrf, "action": "save", "name": "Promoted", "locale": "en",
            "team": "", "roles": ["sales_manager"]}  # fmt: skip
    assert client.post("/admin/users/rep_east_2", data=data).status_code == 302
    actor = web_engine.actor("rep_east_2")
    assert actor.roles == frozenset({"sales_manager"}) and actor.team_id is None
    password = {"csrf_token": csrf, "action": "password", "password": "new-pass"}
    assert client.post("/admin/users/rep_east_2", data=password).status_code == 302
    assert web_engine.people.verify_password("rep_east_2", "new-pass")
    client.post("/admin/users/rep_east_2", data={"csrf_token": csrf, "action": "deactivate"})
    assert not web_engine.people.get_user("rep_east_2").active


def test_teams_show_as_a_tree_and_can_be_created(
    client: FlaskClient, csrf: str, web_engine: Engine
) -> None:
    east = web_engine.people.team_by_name("East")
    data = {
        "csrf_token": csrf,
        "name": "East North",
        "parent": str(east.id),
        "manager": "rep_east_1",
    }
    assert client.post("/admin/teams/new", data=data).status_code == 302
    html = client.get("/admin/teams").get_data(as_text=True)
    depths = re.findall(r'--depth: (\d+)">\s*<a href="[^"]+"><strong>([^<]+)</strong>', html)
    assert depths == [("0", "Sales"), ("1", "East"), ("2", "East North"), ("1", "West")]
    created = web_engine.people.team_by_name("East North")
    assert (created.parent_id, created.manager) == (east.id, "rep_east_1")


def test_a_team_cannot_move_under_itself(
    client: FlaskClient, csrf: str, web_engine: Engine
) -> None:
    sales, east = web_engine.people.team_by_name("Sales"), web_engine.people.team_by_name("East")
    data = {"csrf_token": csrf, "name": "Sales", "parent": str(east.id), "manager": ""}
    html = client.post(f"/admin/teams/{sales.id}", data=data).get_data(as_text=True)
    assert "cannot be moved under itself" in html
    assert web_engine.people.get_team(sales.id).parent_id is None
