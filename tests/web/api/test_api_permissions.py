"""A user never learns of records outside their permissions: every route answers 404 for
them, exactly as for ids that do not exist."""

from __future__ import annotations

import pytest
from api_clients import BASE, bearer, create, error_of
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.runtime.engine import Engine


@pytest.fixture
def west_deal(web_app: Flask, web_engine: Engine) -> int:
    """A deal of rep_west_1 (West team)."""
    client, headers = web_app.test_client(), bearer(web_engine, "rep_west_1")
    customer = create(client, headers, "customer", name="West Co")
    deal = create(client, headers, "deal", name="West deal", customer=customer["id"], amount=5)
    return int(deal["id"])


def _responses(client: FlaskClient, headers: dict[str, str], record_id: int) -> list[TestResponse]:
    url = f"{BASE}/deal/{record_id}"
    return [
        client.get(url, headers=headers),
        client.patch(url, json={"name": "Mine now", "_version": 1}, headers=headers),
        client.delete(url, headers=headers),
        client.get(f"{url}/history", headers=headers),
        client.post(f"{url}/restore", headers=headers),
    ]


def test_another_teams_record_is_404_on_every_route(
    web_app: Flask, web_engine: Engine, west_deal: int
) -> None:
    client = web_app.test_client()
    for username in ("rep_east_1", "manager_east", "rep_west_2"):
        headers = bearer(web_engine, username)
        for response in _responses(client, headers, west_deal):
            assert error_of(response, 404)["code"] == "not_found"
        listed = client.get(f"{BASE}/deal", headers=headers).get_json()
        assert west_deal not in [item["id"] for item in listed["items"]]
    owner = client.get(f"{BASE}/deal/{west_deal}", headers=bearer(web_engine, "rep_west_1"))
    assert owner.get_json()["name"] == "West deal"


def test_a_hidden_record_looks_exactly_like_a_missing_one(
    web_app: Flask, web_engine: Engine, west_deal: int
) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    hidden = client.get(f"{BASE}/deal/{west_deal}", headers=headers)
    missing = client.get(f"{BASE}/deal/{west_deal + 1000}", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"]["message"].replace(str(west_deal), "N") == missing.get_json()[
        "error"
    ]["message"].replace(str(west_deal + 1000), "N")


def test_the_manager_of_the_team_sees_and_changes_it(
    web_app: Flask, web_engine: Engine, west_deal: int
) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "manager_west")
    version = client.get(f"{BASE}/deal/{west_deal}", headers=headers).get_json()["version"]
    response = client.patch(
        f"{BASE}/deal/{west_deal}", json={"name": "Renamed", "_version": version}, headers=headers
    )
    assert response.status_code == 200 and response.get_json()["name"] == "Renamed"


def test_readable_but_not_deletable_is_403(
    web_app: Flask, web_engine: Engine, west_deal: int
) -> None:
    client = web_app.test_client()
    response = client.delete(f"{BASE}/deal/{west_deal}", headers=bearer(web_engine, "rep_west_1"))
    assert error_of(response, 403)["code"] == "forbidden"


def test_an_entity_the_role_may_not_see_at_all_is_403_to_list(
    web_app: Flask, web_engine: Engine
) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "finance")
    assert error_of(client.get(f"{BASE}/deal", headers=headers), 403)["code"] == "forbidden"
    created = client.post(f"{BASE}/deal", json={"name": "x"}, headers=headers)
    assert error_of(created, 403)["code"] == "forbidden"
