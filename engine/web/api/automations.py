"""Manual automations through the API: `POST /{app}/{entity}/{id}/automations/{name}` runs
the manual automation `name` on the record in a transaction of its own → 200
`{run_id, status}` (`done`, or `skipped` when a condition did not hold, with
`skipped_because`).

Errors are the API's: 404 for an unknown entity, record (or one the caller may not see) or
automation, 403 when the caller may not press it, 422 `automation_failed` (with
`automation` and `where`, the YAML place) when it failed — nothing it did was kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response

from engine.runtime.values import MAX_ID
from engine.web.api.blueprint import APP_CONVERTER, bp
from engine.web.api.encoding import json_response
from engine.web.api.errors import ApiError
from engine.web.api.identity import current_actor
from engine.web.state import web_state

__all__ = ["run_automation"]


@bp.post(f"/<{APP_CONVERTER}:app>/<entity>/<int:record_id>/automations/<name>")
def run_automation(app: str, entity: str, record_id: int, name: str) -> Response:
    """Run a manual automation on a record: 200 `{run_id, status}`."""
    actor = current_actor()
    engine = web_state().engine
    if entity not in engine.app.entities:
        raise ApiError(404, f"there is no entity '{engine.app.id}/{entity}'")
    if not 1 <= record_id <= MAX_ID:
        raise ApiError(404, f"there is no {entity} with id {record_id}")
    outcome = engine.automations.run_manual(actor, entity, record_id, name)
    body: dict[str, Any] = {"run_id": outcome.run_id, "status": outcome.status}
    if outcome.status == "skipped" and outcome.run_id is not None:
        run = engine.automations.run(outcome.run_id)
        body["skipped_because"] = _failing_condition(run.conditions)
    return json_response(body)


def _failing_condition(conditions: Any) -> str | None:
    for condition in conditions or []:
        if isinstance(condition, Mapping) and condition.get("value") is not True:
            return str(condition.get("expr") or "")
    return None
