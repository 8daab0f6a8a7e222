"""The REST API under `/api/v1`: tokens, `me`, records (list, create, read, update, delete,
restore, history), workflow actions, approvals and the inbox, manual automations, and the
OpenAPI document generated from the loaded app."""

from __future__ import annotations

# The route modules register their views on `bp` when imported.
from engine.web.api import (  # noqa: F401
    automations,
    dashboards,
    document,
    identity,
    records,
    workflow,
)
from engine.web.api.blueprint import URL_PREFIX, bp
from engine.web.api.openapi import build_openapi

__all__ = ["URL_PREFIX", "bp", "build_openapi"]
