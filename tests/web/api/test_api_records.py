"""Record routes: create, read, update (versions and conflicts), delete, restore, history,
validation errors — on SQLite, and the representative ones on PostgreSQL too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_clients import BASE, bearer, create, error_of, sales_engine
from flask import Flask

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry
from engine.web import create_app


@pytest.fixture
def any_db_app(
    database_url: str, tmp_path: Path, project_registry: Registry, web_clock: FixedClock
) -> Iterator[tuple[Flask, Engine]]:
    """The API over SQLite and (when configured) PostgreSQL."""
    engine = sales_engine(database_url, tmp_path, project_registry, web_clock)
    config = {"TESTING": True, "SECRET_KEY": "test", "PROJECT_ROOT": str(tmp_path)}
    yield create_app(test_config=config, engine=engine), engine
    engine.close()


def test_crud_round_trip_on_each_database(any_db_app: tuple[Flask, Engine]) -> None:
    app, engine = any_db_app
    client, headers = app.test_client(), bearer(engine, "rep_east_1")
    customer = create(client, headers, "customer", name="ACME", level="A")
    response = client.post(
        f"{BASE}/deal",
        json={"name": "MES phase 2", "customer": customer["id"], "amount": 1234567.89},
        headers=headers,
    )
    assert response.status_code == 201
    deal = response.get_json()
    # rules/deal_team_default.yaml gave it its customer's team: version 2 already
    created = deal["version"]
    assert response.headers["Location"] == f"{BASE}/deal/{deal['id']}"
    assert response.headers["ETag"] == f'"{created}"'
    assert b'"amount":1234567.89' in response.get_data()
    assert deal["stage"] == "lead" and deal["owner"] == "rep_east_1"
    assert {"id", "version", "created_at", "updated_at"} <= set(deal)

    read = client.get(f"{BASE}/deal/{deal['id']}", headers=headers).get_json()
    assert read == deal
    patched = client.patch(
        f"{BASE}/deal/{deal['id']}", json={"amount": "10.05", "_version": created}, headers=headers
    )
    assert patched.status_code == 200
    assert patched.get_json()["amount"] == 10.05 and patched.get_json()["version"] == created + 1

    director = bearer(engine, "director")
    assert client.delete(f"{BASE}/deal/{deal['id']}", headers=director).status_code == 204
    error_of(client.get(f"{BASE}/deal/{deal['id']}", headers=director), 404)
    restored = client.post(f"{BASE}/deal/{deal['id']}/restore", headers=director)
    assert restored.status_code == 200 and restored.get_json()["amount"] == 10.05
    history = client.get(f"{BASE}/deal/{deal['id']}/history", headers=director).get_json()
    kinds = ["created", "updated", "updated", "deleted", "restored"]
    assert [item["kind"] for item in history["items"]] == kinds
    assert history["items"][1]["details"]["automation"] == "deal_team_default"
    assert history["items"][2]["changes"]["amount"] == [1234567.89, 10.05]


def test_two_patches_from_the_same_version_one_wins(any_db_app: tuple[Flask, Engine]) -> None:
    app, engine = any_db_app
    client, headers = app.test_client(), bearer(engine, "rep_east_1")
    customer = create(client, headers, "customer", name="Race Co")
    url = f"{BASE}/customer/{customer['id']}"
    v = customer["version"]  # 2: rules/customer_team_default.yaml set its team
    first = client.patch(url, json={"address": "1 East Rd", "_version": v}, headers=headers)
    second = client.patch(url, json={"address": "2 West Rd", "_version": v}, headers=headers)
    assert first.status_code == 200
    error = error_of(second, 409)
    assert error["code"] == "conflict" and error["current_version"] == v + 1
    current = client.get(url, headers=headers).get_json()
    assert current["address"] == "1 East Rd" and current["version"] == v + 1


def test_if_match_header_carries_the_version(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    customer = create(client, headers, "customer", name="Header Co")
    url = f"{BASE}/customer/{customer['id']}"
    v = customer["version"]
    stale = client.patch(url, json={"address": "A"}, headers={**headers, "If-Match": '"7"'})
    assert error_of(stale, 409)["current_version"] == v
    ok = client.patch(url, json={"address": "A"}, headers={**headers, "If-Match": f'"{v}"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == f'"{v + 1}"'
    bad = client.patch(url, json={"address": "B"}, headers={**headers, "If-Match": "soon"})
    assert error_of(bad, 400)["code"] == "bad_request"


def test_patch_without_a_version_is_428_and_writes_nothing(
    web_app: Flask, web_engine: Engine
) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    customer = create(client, headers, "customer", name="No Version Co")
    url = f"{BASE}/customer/{customer['id']}"
    error = error_of(client.patch(url, json={"address": "C"}, headers=headers), 428)
    assert error["code"] == "version_required"
    not_a_number = client.patch(url, json={"address": "C", "_version": "1"}, headers=headers)
    assert error_of(not_a_number, 400)["code"] == "bad_request"
    assert client.get(url, headers=headers).get_json()["address"] is None


def test_a_record_read_can_be_sent_back_whole(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    customer = create(client, headers, "customer", name="Echo Co")
    body = {**customer, "address": "5 Echo St", "_version": customer["version"]}
    response = client.patch(f"{BASE}/customer/{customer['id']}", json=body, headers=headers)
    assert response.status_code == 200 and response.get_json()["address"] == "5 Echo St"


def test_validation_failures_are_422_with_every_field(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    response = client.post(
        f"{BASE}/deal", json={"amount": "lots", "colour": "red"}, headers=headers
    )
    error = error_of(response, 422)
    assert error["code"] == "validation_failed"
    assert {"name", "customer", "amount", "colour"} <= set(error["fields"])
    assert all(isinstance(text, str) for texts in error["fields"].values() for text in texts)


def test_bodies_must_be_json_objects(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    for kwargs in ({"data": "name=x"}, {"json": ["name"]}, {"json": "name"}):
        response = client.post(f"{BASE}/customer", headers=headers, **kwargs)
        assert error_of(response, 400)["code"] == "bad_request"
    broken = client.post(
        f"{BASE}/customer", data="{", headers={**headers, "Content-Type": "application/json"}
    )
    assert error_of(broken, 400)["code"] == "bad_request"


def test_unknown_app_entity_or_record_is_404(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "admin")
    for path in ("/api/v1/other_app/deal", f"{BASE}/invoice", f"{BASE}/deal/999", f"{BASE}/deal/0"):
        assert error_of(client.get(path, headers=headers), 404)["code"] == "not_found"
    assert error_of(client.get(f"{BASE}/deal/999/history", headers=headers), 404)
    assert error_of(client.post(f"{BASE}/deal/999/restore", headers=headers), 404)


def test_money_is_exact_in_and_out(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    customer = create(client, headers, "customer", name="Exact Co")
    response = client.post(
        f"{BASE}/deal",
        data=f'{{"name": "Big", "customer": {customer["id"]}, "amount": 9007199254740.99}}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert b'"amount":9007199254740.99' in response.get_data()
    assert b'"probability":0.05' in response.get_data()


def test_ids_beyond_any_column_are_422_not_overflows(any_db_app: tuple[Flask, Engine]) -> None:
    app, engine = any_db_app
    client, headers = app.test_client(), bearer(engine, "rep_east_1")
    for customer in (2**31, 2**70, 0):
        response = client.post(
            f"{BASE}/deal", json={"name": "D", "customer": customer, "amount": 1}, headers=headers
        )
        assert "customer" in error_of(response, 422)["fields"]


def test_a_conditional_delete_at_a_stale_version_is_409(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "manager_east")
    customer = create(client, headers, "customer", name="Stale Co")
    url = f"{BASE}/customer/{customer['id']}"
    v = customer["version"]
    stale = client.delete(url, headers={**headers, "If-Match": '"5"'})
    assert error_of(stale, 409)["current_version"] == v
    assert client.get(url, headers=headers).status_code == 200
    assert client.delete(url, headers={**headers, "If-Match": f'"{v}"'}).status_code == 204
    history = client.get(f"{url}/history", headers=headers).get_json()["items"]
    assert [item["kind"] for item in history] == ["created", "updated", "deleted"]
