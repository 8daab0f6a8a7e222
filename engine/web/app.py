"""The application factory: one Flask app serving one Formwork app folder.

Blueprints: `auth` (login/logout, sessions), `ui` (lists, record pages, forms), `admin`
(users and teams), `api` (`/api/v1`, JSON). The engine is built once, here, and kept in
`app.extensions["formwork"]`; nothing lives in module globals.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from engine.runtime.engine import Engine
from engine.web.state import EXTENSION_KEY, WebState

__all__ = ["create_app"]

SECRET_FILE = "secret_key"


def create_app(
    app_dir: str | Path | None = None,
    test_config: Mapping[str, Any] | None = None,
    *,
    engine: Engine | None = None,
) -> Flask:
    """Build the Flask app for the app folder `app_dir` (or around a ready `engine`)."""
    config = dict(test_config or {})
    project_root = Path(config.get("PROJECT_ROOT") or Path.cwd())
    if engine is None:
        if app_dir is None:
            raise ValueError("create_app needs an app folder (app_dir) or an engine")
        engine = Engine.load(
            app_dir,
            database_url=config.get("DATABASE_URL"),
            project_root=project_root,
        )
    flask_app = Flask(__name__, instance_path=str(engine.instance_path))
    flask_app.config.update(
        SECRET_KEY=_secret_key(engine.instance_path, config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    flask_app.config.update(config)
    # Bearer-token API calls skip the cookie session (engine/web/api/sessions.py).
    from engine.web.api.sessions import ApiAwareSessionInterface

    flask_app.session_interface = ApiAwareSessionInterface()
    locales = engine.app.locales or ("en",)
    flask_app.extensions[EXTENSION_KEY] = WebState(engine=engine, locales=tuple(locales))
    _register_blueprints(flask_app)
    return flask_app


def _secret_key(instance_path: Path, config: Mapping[str, Any]) -> str:
    """FORMWORK_SECRET_KEY, else a key generated once into the instance folder."""
    if config.get("SECRET_KEY"):
        return str(config["SECRET_KEY"])
    from_env = os.environ.get("FORMWORK_SECRET_KEY")
    if from_env:
        return from_env
    path = instance_path / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def _register_blueprints(flask_app: Flask) -> None:
    # Imported here so that importing engine.web stays cheap and free of cycles.
    from engine.web.admin import bp as admin_bp
    from engine.web.api import bp as api_bp
    from engine.web.auth import bp as auth_bp
    from engine.web.ui import bp as ui_bp

    for blueprint in (auth_bp, ui_bp, admin_bp, api_bp):
        flask_app.register_blueprint(blueprint)
