"""The admin team page can take a team from under its parent: the parent "—" (empty)
makes it a top-level team, instead of leaving the parent as it was."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.runtime.engine import Engine


def test_the_empty_parent_makes_a_top_level_team(
    client: FlaskClient, csrf: str, web_engine: Engine
) -> None:
    people = web_engine.people
    sales, east = people.team_by_name("Sales"), people.team_by_name("East")
    assert east.parent_id == sales.id
    form = client.get(f"/admin/teams/{east.id}").get_data(as_text=True)
    assert f'<option selected value="{sales.id}">' in form
    data = {"csrf_token": csrf, "name": "East", "parent": "", "manager": "manager_east"}
    assert client.post(f"/admin/teams/{east.id}", data=data).status_code == 302
    moved = people.get_team(east.id)
    assert (moved.parent_id, moved.manager) == (None, "manager_east")
    data["parent"] = str(sales.id)
    assert client.post(f"/admin/teams/{east.id}", data=data).status_code == 302
    assert people.get_team(east.id).parent_id == sales.id
