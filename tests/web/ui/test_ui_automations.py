"""Automations in Chromium: an agent presses a manual automation's button and sees the
outcome; an admin opens a failed run's trace from the automations page and replays it.
Screenshots (record page with the button and flash, the runs list, the run trace, the
replay's outcome) go to test-output/screenshots/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from automation_web_support import desk_app, desk_engine, failed_run, ticket
from browser_support import DESK, needs_chromium

from engine.runtime.clock import SystemClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry

pytestmark = needs_chromium


@dataclass(frozen=True)
class Desk:
    """The desk app served live."""

    engine: Engine
    url: str


@pytest.fixture
def desk(project_registry: Registry, tmp_path: Path) -> Iterator[Desk]:
    """The desk app over SQLite, served on 127.0.0.1 (a free port) in a thread."""
    from werkzeug.serving import make_server

    url = f"sqlite:///{(tmp_path / 'desk.db').as_posix()}"
    engine = desk_engine(tmp_path / "desk", url, project_registry, SystemClock(), tmp_path)
    server = make_server("127.0.0.1", 0, desk_app(engine, tmp_path), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Desk(engine, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        engine.close()


def _login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport=DESK)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def test_press_a_manual_button_then_replay_a_failed_run(
    browser: Any, desk: Desk, screenshots: Path
) -> None:
    record = ticket(desk.engine, title="Broken printer")
    ann = _login(browser, desk.url, "ann")
    ann.goto(f"{desk.url}/e/ticket/{record.id}")
    with ann.expect_navigation():
        ann.click("button[data-automation=escalate]")
    assert ann.url == f"{desk.url}/e/ticket/{record.id}"
    assert "Escalate now: done." in ann.locator(".flash-success").inner_text()
    assert "by automation escalate" in ann.locator(".history").inner_text()
    ann.screenshot(path=str(screenshots / "automation-manual-button.png"), full_page=True)
    ann.context.close()

    failed = failed_run(desk.engine, record)
    root = _login(browser, desk.url, "root")
    root.goto(f"{desk.url}/admin/automations?status=failed")
    root.screenshot(path=str(screenshots / "automation-runs.png"), full_page=True)
    with root.expect_navigation():
        root.locator(f'#runs-table tr[data-run="{failed}"] a').click()
    error = root.locator("#run-error")
    assert "rules/grade.yaml:6" in error.inner_text()
    assert (
        error.evaluate("e => getComputedStyle(e).color") == "rgb(180, 35, 24)"
    )  # red (.run-error)
    root.screenshot(path=str(screenshots / "automation-run-failed.png"), full_page=True)
    root.on("dialog", lambda dialog: dialog.accept())
    with root.expect_navigation():
        root.click("#replay")
    newest = desk.engine.automations.runs(limit=1)[0]
    assert newest.replay_of == failed and newest.status == "failed"
    assert root.url == f"{desk.url}/admin/automations/runs/{newest.id}"
    assert "The replay failed" in root.locator(".flash-error").inner_text()
    assert f"replay of run {failed}" in root.locator("main").inner_text()
    root.screenshot(path=str(screenshots / "automation-replayed.png"), full_page=True)
    root.context.close()
