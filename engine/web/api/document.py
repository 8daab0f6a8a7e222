"""`GET /api/v1/openapi.json`: the OpenAPI document of the served app (built once per
Flask app, on first request)."""

from __future__ import annotations

from flask import Response

from engine.web.api.blueprint import URL_PREFIX, bp
from engine.web.api.encoding import json_response
from engine.web.api.openapi import build_openapi
from engine.web.state import web_state

__all__ = ["openapi_document"]

_CACHE_KEY = "api.openapi"


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3 document (no credentials needed)."""
    state = web_state()
    document = state.extras.get(_CACHE_KEY)
    if document is None:
        engine = state.engine
        document = build_openapi(engine.app, engine.registry, prefix=URL_PREFIX)
        state.extras[_CACHE_KEY] = document
    return json_response(document)
