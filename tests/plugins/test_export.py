"""`python -m engine.plugins.export`: writes the generated files and checks them for staleness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.plugins.export import REFERENCE_PATH, SCHEMA_PATH, main


def test_all_writes_the_schema_and_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["all", "--root", str(tmp_path)]) == 0
    schema = json.loads((tmp_path / SCHEMA_PATH).read_text(encoding="utf-8"))
    assert "rating" not in schema["definitions"]["field"]["properties"]["type"]["enum"]
    assert "text" in schema["definitions"]["field"]["properties"]["type"]["enum"]
    assert (tmp_path / REFERENCE_PATH).read_text(encoding="utf-8").startswith("# App folder")
    assert capsys.readouterr().out == f"wrote {SCHEMA_PATH}\nwrote {REFERENCE_PATH}\n"


def test_check_fails_on_stale_files_and_passes_on_fresh_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "--root", str(tmp_path), "--check"]) == 1
    assert "stale: schemas/app.schema.json" in capsys.readouterr().out
    assert not (tmp_path / SCHEMA_PATH).exists()
    assert main(["schema", "--root", str(tmp_path)]) == 0
    assert main(["schema", "--root", str(tmp_path), "--check"]) == 0


def test_plugin_problems_stop_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "bad.py").write_text("1/0\n", encoding="utf-8")
    assert main(["all", "--root", str(tmp_path)]) == 1
    assert "plugins/bad.py:1:1: error P100" in capsys.readouterr().err
    assert not (tmp_path / SCHEMA_PATH).exists()
