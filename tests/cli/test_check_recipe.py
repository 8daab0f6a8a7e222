"""`formwork check` also checks the app's demo recipe (`seed/demo.yaml`): its problems are
ordinary diagnostics located in the recipe, and make `check` exit 1; an app without a
recipe, or the template as shipped, stays clean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import main

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A copy of the sales template."""
    return Path(shutil.copytree(SALES_APP, tmp_path / "sales_crm"))


def check(app: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *options, str(app)], catch_exceptions=False)
    return result.exit_code, result.output


def break_recipe(app: Path, old: str, new: str) -> tuple[Path, int]:
    """Replace the first `old` in the recipe; the recipe and the (1-based) changed line."""
    recipe = app / "seed" / "demo.yaml"
    text = recipe.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    recipe.write_text(text, encoding="utf-8")
    return recipe, text[: text.index(new)].count("\n") + 1


def test_the_template_and_its_recipe_are_clean() -> None:
    assert check(SALES_APP) == (0, "0 errors, 0 warnings\n")


def test_a_recipe_error_is_located_and_fails_the_check(app: Path) -> None:
    recipe, line = break_recipe(app, "level: {pick:", "levle: {pick:")
    code, output = check(app)
    assert code == 1
    lines = output.splitlines()
    assert lines[0] == f"{recipe.as_posix()}:{line}:7: error D111 /records/customer/fields/levle"
    assert "did you mean 'level'?" in output
    assert lines[-1] == "1 error, 0 warnings"


def test_every_recipe_problem_is_reported_in_the_json_format(app: Path) -> None:
    break_recipe(app, "level: {pick:", "levle: {pick:")
    break_recipe(app, "is_primary: {pick:", "is_primry: {pick:")
    code, output = check(app, "--format", "json")
    assert code == 1
    found = json.loads(output)["diagnostics"]
    assert [(d["code"], d["pointer"]) for d in found] == [
        ("D111", "/records/customer/fields/levle"),
        ("D111", "/records/contact/fields/is_primry"),
    ]
    assert all(d["file"] == (app / "seed" / "demo.yaml").as_posix() for d in found)


def test_yaml_errors_of_the_recipe_are_y_codes(app: Path) -> None:
    recipe, _ = break_recipe(app, "  contact:\n", "  contact: [\n")
    code, output = check(app)
    assert code == 1
    assert output.startswith(f"{recipe.as_posix()}:") and " error Y100 " in output


def test_an_app_without_a_recipe_needs_none(app: Path) -> None:
    shutil.rmtree(app / "seed")
    assert check(app) == (0, "0 errors, 0 warnings\n")


def test_the_recipe_waits_for_the_app_to_be_clean(app: Path) -> None:
    # a broken app is reported on its own: the recipe is read against its spec once it
    # builds without errors (else the app's mistakes would come back as recipe problems)
    break_recipe(app, "level: {pick:", "levle: {pick:")
    entity = app / "entities" / "customer.yaml"
    entity.write_text(entity.read_text(encoding="utf-8") + "colour: red\n", encoding="utf-8")
    code, output = check(app)
    assert code == 1
    assert " error S100 " in output and " D1" not in output
