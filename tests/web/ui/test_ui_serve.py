"""`formwork serve` (engine/cli/serve.py): migrates, then serves the app."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from engine.cli.serve import serve

ROOT = Path(__file__).resolve().parents[3]


def test_help_says_what_the_worker_does() -> None:
    result = CliRunner().invoke(serve, ["--help"])
    assert result.exit_code == 0
    assert "--no-worker" in result.output and "overdue approval" in result.output
    assert "apps/sales_crm" in result.output


def test_serve_migrates_then_runs_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run(app: Flask, **options: Any) -> None:
        calls.append({"app": app, **options})

    url = f"sqlite:///{(tmp_path / 'served.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FORMWORK_SECRET_KEY", "test")
    monkeypatch.setattr(Flask, "run", fake_run)
    app_dir = str(ROOT / "apps" / "sales_crm")
    result = CliRunner().invoke(serve, [app_dir, "--port", "5077", "--no-worker"])
    assert result.exit_code == 0, result.output
    assert "Serving sales_crm on http://127.0.0.1:5077/" in result.output
    assert [(c["host"], c["port"], c["threaded"]) for c in calls] == [("127.0.0.1", 5077, True)]
    tables = sa.inspect(sa.create_engine(url)).get_table_names()
    assert "sales_crm__customer" in tables and "fw_users" in tables


def test_the_worker_runs_beside_the_server_and_stops_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []

    def fake_run(app: Flask, **options: Any) -> None:
        seen.append(any(t.name == "formwork-worker" for t in threading.enumerate()))

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{(tmp_path / 'w.db').as_posix()}")
    monkeypatch.setenv("FORMWORK_SECRET_KEY", "test")
    monkeypatch.setattr(Flask, "run", fake_run)
    result = CliRunner().invoke(serve, [str(ROOT / "apps" / "sales_crm")])
    assert result.exit_code == 0, result.output
    assert seen == [True]
    assert not any(t.name == "formwork-worker" for t in threading.enumerate())


def test_an_invalid_app_is_not_served(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("app: broken\ntitle: 1\nlocales: nope\n", encoding="utf-8")
    result = CliRunner().invoke(serve, [str(tmp_path)])
    assert result.exit_code == 1
    assert "The app has errors" in result.output
