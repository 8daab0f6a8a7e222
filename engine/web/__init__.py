"""The web shell: Flask only lives here. `create_app` is the application factory."""

from engine.web.app import create_app
from engine.web.state import WebState, web_state

__all__ = ["WebState", "create_app", "web_state"]
