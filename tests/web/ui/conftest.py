"""Fixtures of the browser tests: Debian's Chromium driven by pytest-playwright (never a
downloaded browser), kept off the network, against a live server on 127.0.0.1 in a thread.

The browser test modules skip themselves, with the reason, when no Chromium is found
(`FORMWORK_CHROMIUM`, else /usr/bin/chromium) or Playwright is not installed.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.runtime.engine import Engine
from engine.web import create_app

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("FORMWORK_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium, offline, as root."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_engine(
    web_template: Any, project_registry: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine over a copy of the prepared database, shared by the browser tests."""
    from engine.runtime.clock import SystemClock
    from engine.storage.database import Database

    folder = tmp_path_factory.mktemp("live")
    database = folder / "live.db"
    shutil.copyfile(web_template.database, database)
    engine = Engine(
        web_template.app,
        project_registry,
        Database(f"sqlite:///{database.as_posix()}"),
        clock=SystemClock(),
        instance_path=folder / "instance",
        password_iterations=1_000,
    )
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def base_url(live_engine: Engine) -> Iterator[str]:
    """A live server on 127.0.0.1 (a free port) serving the live engine."""
    from werkzeug.serving import make_server

    app = create_app(test_config={"SECRET_KEY": "browser-tests"}, engine=live_engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder for screenshots people look at (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
