"""Manual automations through the API (engine/web/api/automations.py) and a failing rule
as a 422 `automation_failed` error (engine/web/api/errors.py)."""

from __future__ import annotations

import pytest
from api_clients import error_of
from automation_web_support import ticket
from flask import Flask

from engine.runtime.engine import Engine


def _auth(engine: Engine, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.people.create_token(username)}"}


@pytest.mark.parametrize("base", ["/api/v1/desk/ticket"])
def test_running_a_manual_automation_returns_its_run(
    desk_web: Flask, desk: Engine, base: str
) -> None:
    record = ticket(desk)
    response = desk_web.test_client().post(
        f"{base}/{record.id}/automations/escalate", headers=_auth(desk, "ann")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "done"
    run = desk.automations.run(body["run_id"])
    assert run.automation == "escalate" and run.actor == "ann"
    after = desk.records.get(desk.actor("ann"), "ticket", record.id)
    assert after.values["note"] == "escalated"


def test_a_condition_that_does_not_hold_skips_it_and_says_which(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk, amount=0)
    response = desk_web.test_client().post(
        f"/api/v1/desk/ticket/{record.id}/automations/escalate", headers=_auth(desk, "ann")
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "skipped" and body["skipped_because"] == "amount > 0"
    assert desk.records.get(desk.actor("ann"), "ticket", record.id).values["note"] is None


def test_unknown_names_records_and_refusals_are_api_errors(desk_web: Flask, desk: Engine) -> None:
    record = ticket(desk)
    client = desk_web.test_client()
    ann = _auth(desk, "ann")
    base = "/api/v1/desk/ticket"
    assert error_of(client.post(f"{base}/{record.id}/automations/nope", headers=ann), 404)
    assert error_of(client.post(f"{base}/999/automations/escalate", headers=ann), 404)
    assert error_of(client.post("/api/v1/desk/nope/1/automations/escalate", headers=ann), 404)
    lee = _auth(desk, "lee")  # may read, not update: not theirs to press
    refused = error_of(client.post(f"{base}/{record.id}/automations/escalate", headers=lee), 403)
    assert refused["code"] == "forbidden"
    assert error_of(client.post(f"{base}/{record.id}/automations/escalate"), 401)


def test_a_rule_failing_during_a_patch_is_a_422_naming_the_rule_and_place(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk)
    response = desk_web.test_client().patch(
        f"/api/v1/desk/ticket/{record.id}",
        json={"amount": 10, "_version": record.version},
        headers=_auth(desk, "ann"),
    )
    error = error_of(response, 422)
    assert error["code"] == "automation_failed"
    assert error["automation"] == "grade" and error["where"] == "rules/grade.yaml:6"
    assert "no row of the decision table 'levels'" in error["message"]
    kept = desk.records.get(desk.actor("ann"), "ticket", record.id)
    assert kept.version == record.version  # nothing of the change was kept
    assert desk.automations.runs(limit=1)[0].status == "failed"


def test_a_failing_manual_automation_is_a_422_with_its_place(desk_web: Flask, desk: Engine) -> None:
    record = ticket(desk)
    response = desk_web.test_client().post(
        f"/api/v1/desk/ticket/{record.id}/automations/reclassify", headers=_auth(desk, "ann")
    )
    error = error_of(response, 422)
    assert error["code"] == "automation_failed" and error["automation"] == "reclassify"
    assert error["where"] == "rules/reclassify.yaml:6"
    assert desk.automations.runs(limit=1)[0].status == "failed"


def test_the_openapi_document_lists_the_route(desk_web: Flask, desk: Engine) -> None:
    document = desk_web.test_client().get("/api/v1/openapi.json").get_json()
    for base in ("/api/v1/desk/ticket",):
        path = document["paths"][f"{base}/{{id}}/automations/{{name}}"]
        names = next(p for p in path["parameters"] if p["name"] == "name")
        assert names["schema"]["enum"] == ["escalate", "reclassify"]
        assert set(path["post"]["responses"]) == {"200", "401", "403", "404", "422"}
    schema = document["components"]["schemas"]["AutomationRun"]
    assert schema["required"] == ["run_id", "status"]
