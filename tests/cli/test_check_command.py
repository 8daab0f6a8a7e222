"""`formwork check`: exit codes, the text and JSON formats, paths as typed, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.check import relocate
from engine.cli.main import main
from engine.diagnostics import Diagnostic

ROOT = Path(__file__).resolve().parent.parent.parent
APP = "app: demo\ntitle: Demo\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n"
NOTE = (
    "entity: note\n"
    "label: Note\n"
    "fields:\n"
    "  title: {type: text, required: true}\n"
    "  amount: {type: money, min: 0}\n"
    "permissions:\n"
    "  clerk: {create: true, read: all}\n"
)


def make_app(root: Path, **files: str) -> Path:
    contents = {"app.yaml": APP, "entities/note.yaml": NOTE, **files}
    for name, text in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def invoke(app: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args, str(app)], catch_exceptions=False)
    return result.exit_code, result.output


def test_clean_app_exits_zero(tmp_path: Path) -> None:
    code, output = invoke(make_app(tmp_path))
    assert code == 0
    assert output == "0 errors, 0 warnings\n"


def test_warnings_alone_exit_zero(tmp_path: Path) -> None:
    app = make_app(tmp_path, **{"app.yaml": APP + "includes: [entities/*.yaml, flows/*.yaml]\n"})
    code, output = invoke(app)
    assert code == 0
    assert output.splitlines() == [
        f"{app.as_posix()}/app.yaml:6:29: warning Y114 /includes/1",
        "  the include 'flows/*.yaml' matches no file",
        "0 errors, 1 warning",
    ]


def test_errors_exit_one_with_positions_and_hints(tmp_path: Path) -> None:
    note = NOTE.replace("{type: money, min: 0}", "{type: mony, min: 0}").replace(
        "required: true", "requird: true"
    )
    app = make_app(tmp_path, **{"entities/note.yaml": note})
    code, output = invoke(app)
    assert code == 1
    lines = output.splitlines()
    prefix = f"{app.as_posix()}/entities/note.yaml"
    assert f"{prefix}:4:23: error S100 /fields/title/requird" in lines
    assert f"{prefix}:5:18: error S102 /fields/amount/type" in lines
    assert "  hint: did you mean 'money'?" in lines
    assert "  hint: did you mean 'required'?" in lines
    assert lines[-1] == "2 errors, 0 warnings"
    assert "Traceback" not in output


def test_paths_are_shown_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_app(tmp_path / "apps" / "demo", **{"entities/bad.yaml": "entity: note\n"})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "apps/demo"], catch_exceptions=False)
    assert result.exit_code == 1
    # bad.yaml sorts first, so note.yaml is the second definition of `note`.
    assert "apps/demo/entities/note.yaml:1:9: error Y113 /entity" in result.output
    # The related location is a path from here too.
    assert "  see: apps/demo/entities/bad.yaml:1:9" in result.output


def test_yaml_syntax_error(tmp_path: Path) -> None:
    app = make_app(tmp_path, **{"entities/note.yaml": "entity: note\nfields: {a: 1\n"})
    code, output = invoke(app)
    assert code == 1
    assert f"{app.as_posix()}/entities/note.yaml:3:1: error Y100 /" in output


def test_json_format(tmp_path: Path) -> None:
    app = make_app(tmp_path, **{"entities/note.yaml": NOTE.replace("label: Note", "lable: Note")})
    code, output = invoke(app, "--format", "json")
    assert code == 1
    document = json.loads(output)
    assert document["ok"] is False
    (problem,) = document["diagnostics"]
    assert {k: problem[k] for k in ("code", "file", "line", "col", "pointer", "severity")} == {
        "code": "S100",
        "file": f"{app.as_posix()}/entities/note.yaml",
        "line": 2,
        "col": 1,
        "pointer": "/lable",
        "severity": "error",
    }
    assert problem["hint"] == "did you mean 'label'?"


def test_json_format_of_a_clean_app(tmp_path: Path) -> None:
    code, output = invoke(make_app(tmp_path), "--format", "json")
    assert code == 0
    assert json.loads(output) == {"ok": True, "diagnostics": []}


def test_folder_without_app_yaml_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, output = invoke(tmp_path / "empty")
    assert code == 1
    assert f"{(tmp_path / 'empty').as_posix()}/app.yaml: error Y110 /" in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "does/not/exist"], "does not exist"),
        (["check"], "Missing argument 'APP_DIR'"),
        (["check", "--format", "xml", "."], "'xml' is not one of 'text', 'json'"),
        (["chek", "."], "No such command 'chek'"),
    ],
)
def test_usage_errors_exit_two_without_traceback(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_file_is_not_an_app_folder(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(APP, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(file)])
    assert result.exit_code == 2
    assert "is a file" in result.output


def test_relocate_leaves_unknown_related_entries_alone(tmp_path: Path) -> None:
    make_app(tmp_path)
    diagnostic = Diagnostic(
        "Y113", "m", "entities/note.yaml", 1, 1, related=("entities/note.yaml:1:9", "free text")
    )
    moved = relocate(diagnostic, tmp_path)
    assert moved.file == f"{tmp_path.as_posix()}/entities/note.yaml"
    assert moved.related == (f"{tmp_path.as_posix()}/entities/note.yaml:1:9", "free text")
    assert relocate(Diagnostic("P100", "m"), tmp_path) == Diagnostic("P100", "m")


def test_run_py_runs_the_same_command(tmp_path: Path) -> None:
    app = make_app(tmp_path, **{"entities/note.yaml": "entity: note\nfields: []\n"})
    done = subprocess.run(
        [sys.executable, "run.py", "check", str(app)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert f"{app.as_posix()}/entities/note.yaml:2:9: error S103 /fields" in done.stdout
    assert done.stderr == ""


def test_sales_template_is_clean() -> None:
    result = CliRunner().invoke(
        main, ["--root", str(ROOT), "check", str(ROOT / "apps" / "sales_crm")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.endswith("0 errors, 0 warnings\n")
