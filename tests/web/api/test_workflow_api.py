"""Workflow routes of the API over the sales template's contract approval: actions, taking
them (approvals, errors with their statuses), the approval trail, the inbox and history
details — on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_clients import BASE, bearer, create, error_of, sales_engine
from flask import Flask
from flask.testing import FlaskClient

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry
from engine.web import create_app


@pytest.fixture
def api(
    database_url: str, tmp_path: Path, project_registry: Registry, web_clock: FixedClock
) -> Iterator[tuple[FlaskClient, Engine]]:
    """A client of the API over SQLite and (when configured) PostgreSQL."""
    engine = sales_engine(database_url, tmp_path, project_registry, web_clock)
    config = {"TESTING": True, "SECRET_KEY": "test", "PROJECT_ROOT": str(tmp_path)}
    app: Flask = create_app(test_config=config, engine=engine)
    yield app.test_client(), engine
    engine.close()


def _contract(client: FlaskClient, engine: Engine, owner: str, amount: str = "100000") -> Any:
    headers = bearer(engine, owner)
    customer = create(client, headers, "customer", name=f"Customer of {owner}")
    return create(
        client, headers, "contract",
        title=f"Contract of {owner}", customer=customer["id"], amount=amount,
        signed_on="2026-03-01",
    )  # fmt: skip


def _act(
    client: FlaskClient, engine: Engine, user: str, record_id: int, action: str, **body: Any
) -> Any:
    url = f"{BASE}/contract/{record_id}/actions/{action}"
    return client.post(url, json=body, headers=bearer(engine, user))


def _names(client: FlaskClient, engine: Engine, user: str, record_id: int) -> list[str]:
    response = client.get(f"{BASE}/contract/{record_id}/actions", headers=bearer(engine, user))
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["name"] for item in response.get_json()["items"]]


def test_submit_then_manager_then_finance_approve(api: tuple[FlaskClient, Engine]) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    assert contract["status"] == "draft"

    listed = client.get(
        f"{BASE}/contract/{contract['id']}/actions", headers=bearer(engine, "rep_east_1")
    ).get_json()["items"]
    submit = next(item for item in listed if item["name"] == "submit")
    assert submit["label"] == "Submit for approval"
    assert submit["labels"] == {"zh": "提交审批", "en": "Submit for approval"}
    assert submit["style"] == "primary" and submit["targets"] == ["review"]
    assert submit["requires"] == ["customer", "amount", "signed_on"]
    assert submit["needs_user"] is False

    submitted = _act(client, engine, "rep_east_1", contract["id"], "submit", _version=1)
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json()["status"] == "review"
    assert submitted.headers["ETag"] == f'"{submitted.get_json()["version"]}"'

    assert "approve" in _names(client, engine, "manager_east", contract["id"])
    approved = _act(client, engine, "manager_east", contract["id"], "approve", comment="ok")
    assert approved.status_code == 200 and approved.get_json()["status"] == "finance"
    final = _act(client, engine, "finance", contract["id"], "approve")
    assert final.status_code == 200, final.get_data(as_text=True)
    body = final.get_json()
    assert body["status"] == "approved" and body["approved_on"] == "2026-03-02"
    read = client.get(f"{BASE}/contract/{contract['id']}", headers=bearer(engine, "finance"))
    assert read.get_json() == body

    trail = client.get(
        f"{BASE}/contract/{contract['id']}/approvals", headers=bearer(engine, "rep_east_1")
    ).get_json()["items"]
    assert [(step["step"], step["step_status"]) for step in trail] == [
        ("review", "approved"),
        ("finance", "approved"),
    ]
    manager_task = trail[0]["tasks"][0]
    assert manager_task["assignee"] == "manager_east" and manager_task["status"] == "approved"
    assert manager_task["comment"] == "ok" and manager_task["acted_at"] is not None

    history = client.get(
        f"{BASE}/contract/{contract['id']}/history", headers=bearer(engine, "rep_east_1")
    ).get_json()["items"]
    transitions = [item for item in history if item["kind"] == "transition"]
    assert [(t["details"]["action"], t["details"]["from"], t["details"]["to"]) for t in
            transitions] == [
        ("submit", "draft", "review"),
        ("approve", "review", "finance"),
        ("approve", "finance", "approved"),
    ]  # fmt: skip
    assert history[0]["details"] == {}


def test_actions_of_another_teams_contract_are_not_found(api: tuple[FlaskClient, Engine]) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    url = f"{BASE}/contract/{contract['id']}"
    west = bearer(engine, "rep_west_1")
    assert error_of(client.get(f"{url}/actions", headers=west), 404)["code"] == "not_found"
    error_of(client.post(f"{url}/actions/submit", json={}, headers=west), 404)
    error_of(client.get(f"{url}/approvals", headers=west), 404)


def test_routes_need_a_workflow_entity_a_known_action_and_credentials(
    api: tuple[FlaskClient, Engine],
) -> None:
    client, engine = api
    headers = bearer(engine, "rep_east_1")
    customer = create(client, headers, "customer", name="No workflow")
    error_of(client.get(f"{BASE}/customer/{customer['id']}/actions", headers=headers), 404)
    contract = _contract(client, engine, "rep_east_1")
    error_of(_act(client, engine, "rep_east_1", contract["id"], "launch"), 404)
    error_of(client.get(f"{BASE}/contract/{contract['id']}/actions"), 401)
    error_of(client.get("/api/v1/inbox"), 401)


def test_approve_by_someone_who_is_not_an_approver_is_forbidden(
    api: tuple[FlaskClient, Engine],
) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    assert _act(client, engine, "rep_east_1", contract["id"], "submit").status_code == 200
    # The director may read every contract but holds no task in the manager's step.
    assert "approve" not in _names(client, engine, "director", contract["id"])
    error = error_of(_act(client, engine, "director", contract["id"], "approve"), 403)
    assert error["code"] == "forbidden"


def test_send_back_without_its_required_comment_is_a_field_error(
    api: tuple[FlaskClient, Engine],
) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    _act(client, engine, "rep_east_1", contract["id"], "submit")
    error = error_of(_act(client, engine, "manager_east", contract["id"], "send_back"), 422)
    assert set(error["fields"]) == {"comment"}
    back = _act(
        client, engine, "manager_east", contract["id"], "send_back", comment="fix the terms"
    )
    assert back.status_code == 200 and back.get_json()["status"] == "draft"


def test_a_stale_version_conflicts(api: tuple[FlaskClient, Engine]) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    patched = client.patch(
        f"{BASE}/contract/{contract['id']}",
        json={"notes": "changed", "_version": 1},
        headers=bearer(engine, "rep_east_1"),
    )
    assert patched.status_code == 200
    error = error_of(_act(client, engine, "rep_east_1", contract["id"], "submit", _version=1), 409)
    assert error["current_version"] == 2
    url = f"{BASE}/contract/{contract['id']}/actions/submit"
    stale = client.post(url, headers={**bearer(engine, "rep_east_1"), "If-Match": '"1"'})
    assert error_of(stale, 409)["current_version"] == 2
    assert (
        _act(client, engine, "rep_east_1", contract["id"], "submit", _version=2).status_code == 200
    )


def test_reject_outside_an_approval_state_conflicts(api: tuple[FlaskClient, Engine]) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    error = error_of(
        _act(client, engine, "manager_east", contract["id"], "reject", comment="no"), 409
    )
    assert "Draft" in error["message"]


def test_malformed_bodies_are_bad_requests(api: tuple[FlaskClient, Engine]) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    headers = bearer(engine, "rep_east_1")
    url = f"{BASE}/contract/{contract['id']}/actions/submit"
    for body in ({"comment": 3}, {"values": [1]}, {"position": "middle"}, {"colour": "red"},
                 {"_version": "2"}):  # fmt: skip
        error_of(client.post(url, json=body, headers=headers), 400)
    not_json = client.post(url, data="comment", headers=headers, content_type="text/plain")
    error_of(not_json, 400)
    error_of(client.post(url, headers={**headers, "If-Match": "soon"}), 400)


def test_values_are_read_like_a_patch(api: tuple[FlaskClient, Engine]) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    bad = _act(client, engine, "rep_east_1", contract["id"], "submit",
               values={"signed_on": "yesterday"})  # fmt: skip
    assert set(error_of(bad, 422)["fields"]) == {"signed_on"}
    sent = _act(client, engine, "rep_east_1", contract["id"], "submit",
                values={"signed_on": "2026-02-27", "amount": 99999.5})  # fmt: skip
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert sent.get_json()["signed_on"] == "2026-02-27"
    assert b'"amount":99999.5' in sent.get_data()


def test_inbox_lists_pending_and_submitted_and_notifications(
    api: tuple[FlaskClient, Engine],
) -> None:
    client, engine = api
    contract = _contract(client, engine, "rep_east_1")
    _act(client, engine, "rep_east_1", contract["id"], "submit")

    manager = client.get("/api/v1/inbox", headers=bearer(engine, "manager_east")).get_json()
    [pending] = manager["pending"]
    assert pending["app"] == "sales_crm" and pending["entity"] == "contract"
    assert pending["record_id"] == contract["id"] and pending["title"] == contract["number"]
    assert pending["state"] == "review" and pending["step"] == "review"
    assert pending["submitter"] == "rep_east_1" and pending["overdue"] is False
    assert pending["due_at"] == "2026-03-04T01:00:00+00:00"
    assert pending["task"]["assignee"] == "manager_east"
    assert manager["submitted"] == []

    rep = client.get("/api/v1/inbox", headers=bearer(engine, "rep_east_1")).get_json()
    assert rep["pending"] == []
    assert [item["record_id"] for item in rep["submitted"]] == [contract["id"]]
    other = client.get("/api/v1/inbox", headers=bearer(engine, "manager_west")).get_json()
    assert other["pending"] == [] and other["submitted"] == []

    _act(client, engine, "manager_east", contract["id"], "send_back", comment="add lines")
    notes = client.get("/api/v1/inbox", headers=bearer(engine, "rep_east_1")).get_json()
    assert notes["notifications"], notes
    note = notes["notifications"][0]
    assert note["entity"] == "contract" and note["record_id"] == contract["id"]
    assert note["read"] is False and note["by"] == "manager_east"
    assert note["kind"] == "sent_back" and note["state"] == "draft"
    marked = client.post("/api/v1/inbox/read", headers=bearer(engine, "rep_east_1"))
    assert marked.status_code == 200 and marked.get_json()["marked"] >= 1
    again = client.get("/api/v1/inbox", headers=bearer(engine, "rep_east_1")).get_json()
    assert all(item["read"] for item in again["notifications"])
