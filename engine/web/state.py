"""What the Flask app keeps in `app.extensions["formwork"]`: the engine and web settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app

from engine.runtime.engine import Engine

__all__ = ["EXTENSION_KEY", "WebState", "web_state"]

EXTENSION_KEY = "formwork"


@dataclass
class WebState:
    """The engine serving this Flask app, plus settings the blueprints share."""

    engine: Engine
    locales: tuple[str, ...] = ("zh", "en")
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def app_id(self) -> str:
        """The id of the served app (the `{app}` segment of API paths)."""
        return self.engine.app.id


def web_state(app: Flask | None = None) -> WebState:
    """The state of `app` (default: the current Flask app)."""
    target = app if app is not None else current_app
    state = target.extensions.get(EXTENSION_KEY)
    if not isinstance(state, WebState):
        raise RuntimeError(
            "this Flask app was not made by engine.web.create_app: no Formwork state"
        )
    return state
