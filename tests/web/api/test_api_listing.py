"""Listing records: filters (with relation paths), sorts, limits and keyset pages."""

from __future__ import annotations

from typing import Any

import pytest
from api_clients import BASE, bearer, create, error_of
from flask import Flask
from flask.testing import FlaskClient

from engine.runtime.engine import Engine


@pytest.fixture
def deals(web_app: Flask, web_engine: Engine) -> tuple[FlaskClient, dict[str, str]]:
    """Two customers (levels A and B) of rep_east_1 and 7 deals on them, amounts 100–700."""
    client, headers = web_app.test_client(), bearer(web_engine, "rep_east_1")
    a = create(client, headers, "customer", name="Alpha", level="A")
    b = create(client, headers, "customer", name="Beta", level="B")
    for number in range(1, 8):
        customer = a if number % 2 else b
        create(client, headers, "deal", name=f"Deal {number}", customer=customer["id"],
               amount=number * 100)  # fmt: skip
    return client, headers


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["name"] for item in response.get_json()["items"]]


def test_filter_by_field_and_by_relation_path(deals: tuple[FlaskClient, dict[str, str]]) -> None:
    client, headers = deals
    big = client.get(f"{BASE}/deal", query_string={"filter": "amount >= 500"}, headers=headers)
    assert sorted(names(big)) == ["Deal 5", "Deal 6", "Deal 7"]
    level_a = client.get(
        f"{BASE}/deal",
        query_string={"filter": "customer.level == 'A'", "sort": "amount"},
        headers=headers,
    )
    assert names(level_a) == ["Deal 1", "Deal 3", "Deal 5", "Deal 7"]


def test_a_broken_filter_is_400_with_the_expression_code(
    deals: tuple[FlaskClient, dict[str, str]],
) -> None:
    client, headers = deals
    for text, code in (("customer.levl == 'A'", "X103"), ("amount >", "X10")):
        response = client.get(f"{BASE}/deal", query_string={"filter": text}, headers=headers)
        error = error_of(response, 400)
        assert error["code"] == "bad_request" and code in error["message"]


def test_sort_descending_and_by_several_keys(deals: tuple[FlaskClient, dict[str, str]]) -> None:
    client, headers = deals
    down = client.get(f"{BASE}/deal", query_string={"sort": "-amount"}, headers=headers)
    assert names(down) == [f"Deal {n}" for n in range(7, 0, -1)]
    mixed = client.get(
        f"{BASE}/deal", query_string={"sort": "customer,-amount", "limit": 3}, headers=headers
    )
    assert names(mixed) == ["Deal 7", "Deal 5", "Deal 3"]
    bad = client.get(f"{BASE}/deal", query_string={"sort": "colour"}, headers=headers)
    assert "colour" in error_of(bad, 400)["message"]


@pytest.mark.parametrize("sort", ["", "-amount", "name", "customer,-created_at"])
def test_keyset_pages_cover_every_record_once(
    deals: tuple[FlaskClient, dict[str, str]], sort: str
) -> None:
    client, headers = deals
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": 2, "sort": sort} | ({"cursor": cursor} if cursor else {})
        body = client.get(f"{BASE}/deal", query_string=query, headers=headers).get_json()
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 7


def test_limit_defaults_to_50_and_is_bounded(deals: tuple[FlaskClient, dict[str, str]]) -> None:
    client, headers = deals
    body = client.get(f"{BASE}/deal", headers=headers).get_json()
    assert len(body["items"]) == 7 and body["next_cursor"] is None
    for limit in ("0", "201", "ten", "-1"):
        response = client.get(f"{BASE}/deal", query_string={"limit": limit}, headers=headers)
        assert "limit" in error_of(response, 400)["message"]
    assert client.get(f"{BASE}/deal?limit=200", headers=headers).status_code == 200


def test_bad_or_foreign_cursors_are_400(deals: tuple[FlaskClient, dict[str, str]]) -> None:
    client, headers = deals
    first = client.get(f"{BASE}/deal", query_string={"limit": 2}, headers=headers).get_json()
    foreign = client.get(
        f"{BASE}/deal",
        query_string={"cursor": first["next_cursor"], "sort": "-amount"},
        headers=headers,
    )
    assert error_of(foreign, 400)["code"] == "bad_request"
    garbage = client.get(f"{BASE}/deal", query_string={"cursor": "!!!"}, headers=headers)
    assert error_of(garbage, 400)["code"] == "bad_request"
