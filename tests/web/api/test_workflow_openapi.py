"""The workflow routes in the generated OpenAPI document: only for entities with a
workflow, `{action}` an enum of their actions, every status they can answer listed."""

from __future__ import annotations

from typing import Any

import pytest

from engine.runtime.engine import Engine
from engine.web.api.openapi import build_openapi

BASE = "/api/v1/sales_crm"


@pytest.fixture
def document(web_engine: Engine) -> dict[str, Any]:
    return build_openapi(web_engine.app, web_engine.registry)


def test_action_routes_exist_only_for_workflow_entities(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for entity in ("deal", "contract", "target", "bonus"):
        for suffix in ("actions", "actions/{action}", "approvals"):
            assert f"{BASE}/{entity}/{{id}}/{suffix}" in paths
    for entity in ("customer", "contact", "follow_up"):
        assert not any(path.startswith(f"{BASE}/{entity}/{{id}}/act") for path in paths)
        assert f"{BASE}/{entity}/{{id}}/approvals" not in paths


def test_the_action_parameter_is_an_enum_of_the_entitys_actions(
    document: dict[str, Any],
) -> None:
    def actions(entity: str) -> list[str]:
        parameters = document["paths"][f"{BASE}/{entity}/{{id}}/actions/{{action}}"]["parameters"]
        [action] = [p for p in parameters if p["name"] == "action"]
        return list(action["schema"]["enum"])

    assert actions("contract") == [
        "submit", "approve", "reject", "send_back", "recall", "cancel", "transfer",
        "add_approver",
    ]  # fmt: skip
    # The deal pipeline has no approval steps: nothing to transfer or add approvers to.
    assert actions("deal") == [
        "contact", "qualify", "propose", "negotiate", "win", "lose", "reopen",
    ]  # fmt: skip


def test_every_status_of_the_workflow_routes_is_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    take = paths[f"{BASE}/contract/{{id}}/actions/{{action}}"]["post"]
    assert set(take["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}
    assert take["requestBody"]["required"] is False
    listed = paths[f"{BASE}/contract/{{id}}/actions"]["get"]
    assert set(listed["responses"]) == {"200", "401", "404"}
    assert set(paths["/api/v1/inbox"]["get"]["responses"]) == {"200", "401"}
    assert set(paths["/api/v1/inbox/read"]["post"]["responses"]) == {"200", "401"}


def test_the_action_body_takes_patch_values(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    body = schemas["contract_action"]
    assert set(body["properties"]) == {
        "comment", "values", "to_user", "to_state", "position", "_version",
    }  # fmt: skip
    values = body["properties"]["values"]["properties"]
    assert values["signed_on"]["format"] == "date" and values["amount"]["type"] == "number"
    assert "status" not in values and "number" not in values  # state and sequence
    assert "details" in schemas["History"]["properties"]["items"]["items"]["properties"]
    assert {"ActionList", "ApprovalTrail", "Inbox", "InboxRead"} <= set(schemas)
