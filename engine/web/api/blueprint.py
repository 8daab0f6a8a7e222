"""The API blueprint (`/api/v1`), its JSON error handling and the `served_app` URL
converter; the route modules attach to the blueprint.

The `{app}` segment of record paths only matches the id of the served app, so that fixed
paths (`/auth/token`) never overlap the record routes and an unknown app is a plain 404.
"""

from __future__ import annotations

import re
from typing import cast

from flask import Blueprint, Flask
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from engine.web.api.errors import install_error_handlers
from engine.web.state import web_state

__all__ = ["APP_CONVERTER", "URL_PREFIX", "bp"]

URL_PREFIX = "/api/v1"
APP_CONVERTER = "served_app"

bp = Blueprint("api", __name__, url_prefix=URL_PREFIX)


def _install_converter(state: BlueprintSetupState) -> None:
    app_id = web_state(cast(Flask, state.app)).app_id

    class ServedApp(BaseConverter):
        """Matches only the served app's id."""

        regex = re.escape(app_id)

    state.app.url_map.converters[APP_CONVERTER] = ServedApp


# Recorded before any route, so the converter exists when the routes are added.
bp.record_once(_install_converter)
install_error_handlers(bp)
