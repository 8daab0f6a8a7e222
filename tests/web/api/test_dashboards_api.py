"""The dashboard routes of the API over the small dashboard app (`dashboard_app`): the list
of the caller's dashboards, one computed with the caller's rights (exact numbers, labels in
their language or `?locale=`, a widget's error in place of its data), 401/403/404/400 as
JSON errors, and the operations in the OpenAPI document, fuzzed against it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_clients import bearer, error_of
from dashboard_app import NAMES, live, make_dashboard_engine, readable_by
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import negative_data_rejection

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry
from engine.web import create_app
from engine.web.api.openapi import build_openapi

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
BASE = "/api/v1/dash/dashboards"


def _dash_engine(url: str, root: Path, registry: Registry) -> Engine:
    def make(app_dir: Path, database_url: str) -> Engine:
        engine = Engine.load(
            app_dir, database_url=database_url, clock=FixedClock(START), project_root=root,
            registry=registry, password_iterations=1_000,
        )  # fmt: skip
        engine.migrate()
        return engine

    def write(files: dict[str, str]) -> Path:
        import textwrap

        folder = root / "app"
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return folder

    return make_dashboard_engine(make, write, url)


@pytest.fixture
def dash(database_url: str, project_registry: Registry, tmp_path: Path) -> Iterator[Engine]:
    engine = _dash_engine(database_url, tmp_path, project_registry)
    yield engine
    engine.close()


@pytest.fixture
def client(dash: Engine, tmp_path: Path) -> FlaskClient:
    config = {"TESTING": True, "SECRET_KEY": "dash", "PROJECT_ROOT": str(tmp_path)}
    return create_app(test_config=config, engine=dash).test_client()


Get = Callable[..., Any]


@pytest.fixture
def get(client: FlaskClient, dash: Engine) -> Get:
    def call(path: str, username: str, status: int = 200) -> Any:
        response = client.get(path, headers=bearer(dash, username))
        assert response.status_code == status, response.get_data(as_text=True)
        return response

    return call


def test_the_list_holds_the_callers_dashboards(get: Get) -> None:
    body = get(BASE, "ann").get_json()
    assert [item["name"] for item in body["items"]] == ["overview", "reps"]
    overview = body["items"][0]
    assert overview["label"] == "Overview"
    assert {"id": "won_total", "type": "number", "title": "won_total"} in overview["widgets"]
    assert get(f"{BASE}?locale=zh", "ann").get_json()["items"][0]["label"] == "总览"
    audrey = get(BASE, "audrey").get_json()  # reads Chinese, is an auditor
    assert [(i["name"], i["label"]) for i in audrey["items"]] == [
        ("guarded", "Guarded"),
        ("overview", "总览"),
    ]


def test_a_dashboard_is_computed_with_the_callers_rights(get: Get) -> None:
    response = get(f"{BASE}/overview", "ann")
    body = json.loads(response.get_data(as_text=True), parse_float=Decimal)
    assert body["name"] == "overview" and body["today"] == "2026-03-02"
    widgets = {w["id"]: w for w in body["widgets"]}
    mine = readable_by("ann")
    won = sum((Decimal(s.amount or 0) for s in mine if s.stage == "won"), Decimal(0))
    assert widgets["won_total"]["value"] == won == Decimal("1000.5")
    assert widgets["won_total"]["value_type"] == "money" and widgets["won_total"]["error"] is None
    assert widgets["count_all"]["value"] == len(mine)
    assert widgets["margin_gauge"]["maximum"] == Decimal("1.5")
    assert widgets["first_close"]["value"] == "2026-01-15"  # a date, in ISO form
    assert widgets["by_owner"]["points"] == [
        {"key": "ann", "label": NAMES["ann"], "value": Decimal("1350.49")}
    ]
    monthly = widgets["monthly"]["points"]
    assert [p["key"] for p in monthly] == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    assert monthly[1] == {"key": "2026-02-01", "label": "2026-02", "value": 0}
    table = widgets["biggest"]
    assert table["columns"] == ["title", "account", "owner", "amount", "cost"]
    assert [row["values"]["title"] for row in table["rows"]] == ["A1", "A2", "A3"]
    assert table["rows"][0]["values"]["amount"] == Decimal("1000.5")
    assert isinstance(table["rows"][0]["id"], int)
    # exact decimals are written as number literals, never through a float
    assert '"value":1000.5,' in response.get_data(as_text=True)


def test_labels_follow_the_callers_language_or_the_locale_asked(get: Get) -> None:
    def funnel(path: str, username: str) -> list[str]:
        widgets = {w["id"]: w for w in get(path, username).get_json()["widgets"]}
        return [point["label"] for point in widgets["funnel"]["points"]]

    assert funnel(f"{BASE}/overview", "dir") == ["New", "Open", "Won"]
    assert funnel(f"{BASE}/overview", "audrey") == ["新建", "进行中", "赢单"]
    assert funnel(f"{BASE}/overview?locale=en", "audrey") == ["New", "Open", "Won"]
    body = get(f"{BASE}/overview?locale=fr", "dir", 400).get_json()
    assert body["error"]["code"] == "bad_request" and "locale" in body["error"]["message"]


def test_a_widget_the_caller_may_not_compute_carries_its_error(get: Get) -> None:
    widgets = {w["id"]: w for w in get(f"{BASE}/guarded", "audrey").get_json()["widgets"]}
    cost = widgets["cost_total"]
    assert "cost" in cost["error"]
    assert cost["value"] is None and cost["points"] == [] and cost["value_type"] is None
    assert widgets["ok"]["value"] == len(live()) and widgets["ok"]["error"] is None


def test_errors_are_json(client: FlaskClient, dash: Engine) -> None:
    error_of(client.get(f"{BASE}/guarded", headers=bearer(dash, "ann")), 403)
    error_of(client.get(f"{BASE}/nope", headers=bearer(dash, "ann")), 404)
    error_of(client.get(f"{BASE}/overview"), 401)
    error_of(client.get(BASE), 401)
    error_of(client.get("/api/v1/other/dashboards", headers=bearer(dash, "ann")), 404)


def test_the_openapi_document_describes_the_dashboard_routes(dash: Engine) -> None:
    document = build_openapi(dash.app, dash.registry)
    listed = document["paths"]["/api/v1/dash/dashboards"]["get"]
    assert set(listed["responses"]) == {"200", "400", "401"}
    one = document["paths"]["/api/v1/dash/dashboards/{name}"]
    assert one["parameters"][0]["schema"]["enum"] == ["guarded", "overview", "reps"]
    assert set(one["get"]["responses"]) == {"200", "400", "401", "403", "404"}
    schemas = document["components"]["schemas"]
    assert {"Dashboard", "DashboardList", "DashboardWidget"} <= set(schemas)
    assert "leaderboard" in schemas["DashboardWidget"]["properties"]["type"]["enum"]


@pytest.fixture(scope="module")
def fuzzed(
    tmp_path_factory: pytest.TempPathFactory, project_registry: Registry
) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("dash_fuzz")
    engine = _dash_engine(f"sqlite:///{(root / 'fuzz.db').as_posix()}", root, project_registry)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def dashboard_schema(fuzzed: Engine) -> object:
    app: Flask = create_app(test_config={"TESTING": True, "SECRET_KEY": "fuzz"}, engine=fuzzed)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


fuzzing = schemathesis.pytest.from_fixture("dashboard_schema")


@fuzzing.include(operation_id=["list_dashboards", "read_dashboard"]).parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_dashboard_routes_conform_to_the_document(case: Case, fuzzed: Engine) -> None:
    # Query parameters the document does not list are ignored, as everywhere in the API
    # (schemathesis' negative cases would have them refused).
    case.call_and_validate(
        headers=bearer(fuzzed, "audrey"), excluded_checks=[negative_data_rejection]
    )
