"""Helpers of the API tests: bearer headers for the demo people, JSON bodies of error
responses, and an engine over any test database (for the PostgreSQL runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from web_support import SALES_APP, TEST_ITERATIONS, add_demo_people
from werkzeug.test import TestResponse

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry

BASE = "/api/v1/sales_crm"


def bearer(engine: Engine, username: str) -> dict[str, str]:
    """An Authorization header with a fresh token of `username`."""
    return {"Authorization": f"Bearer {engine.people.create_token(username)}"}


def error_of(response: TestResponse, status: int) -> dict[str, Any]:
    """The `error` object of a JSON error response, after checking status and shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return dict(body["error"])


def sales_engine(url: str, root: Path, registry: Registry, clock: FixedClock) -> Engine:
    """The sales template over `url`, migrated, with the demo people."""
    engine = Engine.load(
        SALES_APP,
        database_url=url,
        clock=clock,
        project_root=root,
        registry=registry,
        password_iterations=TEST_ITERATIONS,
    )
    engine.migrate()
    add_demo_people(engine)
    return engine


def create(client: FlaskClient, headers: dict[str, str], entity: str, **values: Any) -> Any:
    """Create a record through the API (expecting 201) and return its JSON."""
    response = client.post(f"{BASE}/{entity}", json=values, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()
