"""Every failure under /api/v1 is a JSON error in the contract's shape — unknown paths,
wrong methods, oversized bodies and unexpected exceptions included — while the rest of
the site keeps its own error pages."""

from __future__ import annotations

import pytest
from api_clients import BASE, bearer, error_of
from flask import Flask

from engine.runtime.engine import Engine


def test_unknown_api_paths_are_json_404(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "admin")
    for path in ("/api/v1/nothing", "/api/v1/sales_crm/deal/1/nothing/here", "/api/v1"):
        assert error_of(client.get(path, headers=headers), 404)["code"] == "not_found"


def test_wrong_methods_are_json_405_with_allow(web_app: Flask, web_engine: Engine) -> None:
    client, headers = web_app.test_client(), bearer(web_engine, "admin")
    response = client.put(f"{BASE}/deal/1", headers=headers)
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert {"GET", "PATCH", "DELETE"} <= set(response.headers["Allow"].split(", "))


def test_oversized_bodies_are_json_413(web_app: Flask, web_engine: Engine) -> None:
    web_app.config["MAX_CONTENT_LENGTH"] = 1000
    client, headers = web_app.test_client(), bearer(web_engine, "admin")
    response = client.post(f"{BASE}/customer", json={"name": "x" * 5000}, headers=headers)
    assert error_of(response, 413)["code"] == "too_large"


def test_unexpected_exceptions_are_json_500(
    web_app: Flask, web_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(web_engine.records, "get", explode)
    web_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = web_app.test_client().get(f"{BASE}/deal/1", headers=bearer(web_engine, "admin"))
    error = error_of(response, 500)
    assert error["code"] == "internal_error" and "fire" not in error["message"]


def test_pages_outside_the_api_keep_their_own_errors(web_app: Flask) -> None:
    response = web_app.test_client().get("/no/such/page")
    assert response.status_code == 404 and response.mimetype != "application/json"
