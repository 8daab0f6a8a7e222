"""The generated OpenAPI document: a schema per entity with types, enums, readOnly and
required, every status code of every operation, bearer security."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engine.runtime.engine import Engine
from engine.web.api.openapi import build_openapi


@pytest.fixture
def document(web_engine: Engine) -> dict[str, Any]:
    return build_openapi(web_engine.app, web_engine.registry)


def test_the_document_is_served_without_credentials(
    web_app: Flask, document: dict[str, Any]
) -> None:
    response = web_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == document
    assert document["openapi"].startswith("3.0")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/api/v1/auth/token"]["post"]["security"] == []


def test_a_schema_per_entity_with_types_and_enums(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for entity in ("customer", "contact", "follow_up", "deal", "contract", "target", "bonus"):
        assert {entity, f"{entity}_create", f"{entity}_update", f"{entity}_page"} <= set(schemas)
    deal = schemas["deal"]["properties"]
    assert deal["amount"]["type"] == "number" and deal["amount"]["nullable"] is True
    assert deal["customer"]["type"] == "integer"
    assert deal["owner"]["type"] == "string"
    assert deal["expected_close"]["format"] == "date"
    assert deal["stage"]["enum"] == [
        "lead", "contacted", "qualified", "proposal", "negotiation", "won", "lost", None,
    ]  # fmt: skip
    assert deal["stage"]["readOnly"] is True and deal["weighted"]["readOnly"] is True
    assert deal["close_date"]["readOnly"] is True  # `readonly: true` in the YAML
    assert "price" in deal["lost_reason"]["enum"]
    assert schemas["deal"]["required"] == ["id", "version", "created_at", "updated_at"]
    contract = schemas["contract"]["properties"]
    assert contract["number"]["readOnly"] is True  # a sequence
    assert contract["lines"]["type"] == "array"


def test_request_schemas_leave_out_read_only_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    create = schemas["deal_create"]
    assert {"weighted", "stage", "close_date"}.isdisjoint(create["properties"])
    assert set(create["required"]) == {"name", "customer", "amount"}
    assert create["additionalProperties"] is False
    update = schemas["deal_update"]
    assert "required" not in update and update["properties"]["_version"]["type"] == "integer"


def test_every_status_code_is_documented(document: dict[str, Any]) -> None:
    deal = document["paths"]["/api/v1/sales_crm/deal"]
    one = document["paths"]["/api/v1/sales_crm/deal/{id}"]
    assert set(deal["get"]["responses"]) == {"200", "400", "401", "403", "404"}
    assert set(deal["post"]["responses"]) == {"201", "400", "401", "403", "404", "409", "422"}
    assert set(one["patch"]["responses"]) == {
        "200", "400", "401", "403", "404", "409", "422", "428",
    }  # fmt: skip
    assert set(one["delete"]["responses"]) == {"204", "400", "401", "403", "404", "409"}
    error = one["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
