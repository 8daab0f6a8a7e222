"""Ids and whole numbers beyond what a column holds (PostgreSQL's int4 ids, 64 bits on
SQLite) are answered like any other value — a field error in the user's language, or a
filter that simply matches nothing — never a 500 from an overflow in the database."""

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


def test_huge_ids_in_a_body_are_field_errors_in_the_users_language(
    any_db_app: tuple[Flask, Engine],
) -> None:
    app, engine = any_db_app
    client = app.test_client()
    for username, message in (
        ("rep_east_1", "There is no customer with id 2147483648."),
        ("rep_west_2", "编号为 2147483648 的customer不存在。"),
    ):
        headers = bearer(engine, username)
        body = {"name": "D", "customer": 2**31, "team": 2**70, "amount": 1}
        fields = error_of(client.post(f"{BASE}/deal", json=body, headers=headers), 422)["fields"]
        assert fields["customer"] == [message]
        assert str(2**70) in fields["team"][0]
    headers = bearer(engine, "rep_east_1")
    customer = create(client, headers, "customer", name="Range Co")
    deal = create(client, headers, "deal", name="D", customer=customer["id"], amount=1)
    patch = {"customer": {"id": 2**63}, "_version": deal["version"]}
    response = client.patch(f"{BASE}/deal/{deal['id']}", json=patch, headers=headers)
    assert error_of(response, 422)["fields"] == {
        "customer": [f"There is no customer with id {2**63}."]
    }


def test_filters_with_numbers_beyond_a_column_match_nothing_instead_of_failing(
    any_db_app: tuple[Flask, Engine],
) -> None:
    app, engine = any_db_app
    client, headers = app.test_client(), bearer(engine, "manager_east")
    customer = create(client, headers, "customer", name="Filter Co")
    create(client, headers, "deal", name="D", customer=customer["id"], amount=1)

    def listed(text: str) -> list[str]:
        response = client.get(f"{BASE}/deal", query_string={"filter": text}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["name"] for item in response.get_json()["items"]]

    assert listed("team == 9999999999") == []
    assert listed("id == 99999999999999999999") == []
    assert listed("customer == 2147483648 or amount > 99999999999") == []
    assert listed("id < 9999999999 and customer != 9999999999") == ["D"]
