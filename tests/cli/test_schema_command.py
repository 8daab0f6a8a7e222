"""`formwork schema`: the JSON Schema of app folders on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import main
from engine.plugins import default_registry
from engine.plugins.export import schema_text
from engine.spec.schema import build_schema

ROOT = Path(__file__).resolve().parent.parent.parent


def test_schema_prints_the_schema_of_the_project() -> None:
    result = CliRunner().invoke(main, ["--root", str(ROOT), "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    kinds = ("app", "entity", "automation", "table", "dashboard", "suite")
    assert {f"{kind}_file" for kind in kinds} <= set(schema["definitions"])
    registry, _ = default_registry(ROOT)
    assert result.output == schema_text(build_schema(registry))


def test_schema_root_option_must_be_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--root", str(tmp_path / "nope"), "schema"])
    assert result.exit_code == 2
    assert "does not exist" in result.output
