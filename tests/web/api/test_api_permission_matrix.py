"""The sales template's permissions through the HTTP API: every role × entity × action
(list, read, create, patch, delete) × whose record (own, same team, a sub-team, another
team) answers the status the service-level matrix expects — 200/201/204 when allowed, 404
when the record is outside the read scope (the user never learns it exists), 403 when it
can be read but not changed, and 403 for a list or create the role may not do at all.

The expectations, people, teams and records are those of `tests/runtime/
test_permission_matrix.py` (its GRANTS restate the template's `permissions:` by hand); that
module is loaded from its file, so both matrices always test the same table.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from api_clients import BASE, bearer
from flask.testing import FlaskClient
from web_support import SALES_APP, START, TEST_ITERATIONS

from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry
from engine.web import create_app

SERVICE_MATRIX = Path(__file__).resolve().parents[2] / "runtime" / "test_permission_matrix.py"


def _service_matrix() -> ModuleType:
    """The service-level matrix module (its helpers come from `runtime_support`, which the
    `pythonpath` of pyproject.toml makes importable from any test folder)."""
    spec = importlib.util.spec_from_file_location("service_permission_matrix", SERVICE_MATRIX)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


SERVICE = _service_matrix()
SUCCESS = {"read": 200, "patch": 200, "delete": 204}
STATUS = {"ok": None, "not_found": 404, "forbidden": 403}


class ApiMatrix:
    """The service matrix's engine and records, a Flask app around it, and a token per
    acting user."""

    def __init__(self, matrix: Any, client: FlaskClient) -> None:
        self.matrix = matrix
        self.engine: Engine = matrix.engine
        self.client = client
        self.headers = {
            role: bearer(self.engine, username) for role, (username, _) in SERVICE.ACTORS.items()
        }


@pytest.fixture(scope="module")
def api_matrix(
    tmp_path_factory: pytest.TempPathFactory, project_registry: Registry
) -> Iterator[ApiMatrix]:
    """The sales template on a fresh SQLite file with the service matrix's people and
    records (built once: about 200 records through the record service)."""
    folder = tmp_path_factory.mktemp("api_matrix")
    engine = Engine.load(
        SALES_APP,
        database_url=f"sqlite:///{(folder / 'matrix.db').as_posix()}",
        clock=FixedClock(START),
        project_root=folder,
        registry=project_registry,
        password_iterations=TEST_ITERATIONS,
    )
    engine.migrate()
    matrix = SERVICE._build(engine)
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "PROJECT_ROOT": str(folder)}
    app = create_app(test_config=config, engine=engine)
    yield ApiMatrix(matrix, app.test_client())
    engine.close()


def _expected(readable: bool, allowed: bool, action: str) -> int:
    outcome = SERVICE.expected_outcome(readable, allowed)
    return STATUS[outcome] or SUCCESS[action]


def _listed(api: ApiMatrix, role: str, entity: str) -> tuple[int, set[int]]:
    """The status of listing `entity` as `role`, and every id listed (all pages)."""
    ids: set[int] = set()
    cursor = ""
    while True:
        query = f"?limit=200&cursor={cursor}" if cursor else "?limit=200"
        response = api.client.get(f"{BASE}/{entity}{query}", headers=api.headers[role])
        if response.status_code != 200:
            return response.status_code, ids
        body = response.get_json()
        ids.update(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            return 200, ids
        cursor = body["next_cursor"]


def _record_statuses(api: ApiMatrix, role: str, entity: str) -> dict[tuple[str, str], int]:
    """Read, patch and delete each of the four records as `role`: the statuses."""
    client, headers = api.client, api.headers[role]
    system = Actor.system()
    got: dict[tuple[str, str], int] = {}
    for kind, record_id in api.matrix.records[(role, entity)].items():
        url = f"{BASE}/{entity}/{record_id}"
        got[("read", kind)] = client.get(url, headers=headers).status_code
        version = api.engine.records.get(system, entity, record_id).version
        body = {SERVICE.EDITED[entity]: f"changed by {role} over HTTP", "_version": version}
        got[("patch", kind)] = client.patch(url, json=body, headers=headers).status_code
        got[("delete", kind)] = client.delete(url, headers=headers).status_code
        if got[("delete", kind)] == 204:
            api.engine.records.restore(system, entity, record_id)
    return got


@pytest.mark.parametrize("entity", SERVICE.ENTITIES)
@pytest.mark.parametrize("role", SERVICE.ROLES)
def test_role_on_entity_over_http(api_matrix: ApiMatrix, role: str, entity: str) -> None:
    may_create, read, update, delete = SERVICE.GRANTS[role][entity]
    records = api_matrix.matrix.records[(role, entity)]
    want: dict[tuple[str, str], int] = {}
    for kind in records:
        readable = kind in SERVICE.SCOPE[read]
        want[("read", kind)] = 200 if readable else 404
        want[("patch", kind)] = _expected(readable, kind in SERVICE.SCOPE[update], "patch")
        want[("delete", kind)] = _expected(readable, kind in SERVICE.SCOPE[delete], "delete")
    assert _record_statuses(api_matrix, role, entity) == want

    status, listed = _listed(api_matrix, role, entity)
    assert status == (403 if read == "none" else 200)
    assert {kind for kind, i in records.items() if i in listed} == set(SERVICE.SCOPE[read])

    owner = SERVICE.ACTORS[role][0]
    values = SERVICE.values_for(entity, owner, api_matrix.matrix.anchors, f"http {role}")
    created = api_matrix.client.post(
        f"{BASE}/{entity}", json=values, headers=api_matrix.headers[role]
    )
    assert created.status_code == (201 if may_create else 403), created.get_data(as_text=True)
    if may_create:
        assert created.get_json()["created_by"] == owner


def test_the_http_matrix_covers_the_whole_service_matrix() -> None:
    assert SERVICE.ROLES == ("sales_rep", "sales_manager", "sales_director", "finance", "admin")
    assert set(SERVICE.ENTITIES) == {
        "customer", "contact", "follow_up", "deal", "contract", "target", "bonus"
    }  # fmt: skip
    assert SERVICE.CLASSES == ("own", "same_team", "sub_team", "other_team")
    assert all(set(SERVICE.GRANTS[role]) == set(SERVICE.ENTITIES) for role in SERVICE.ROLES)
