"""`formwork seed APP_DIR --demo` on a copy of the sales template with a small recipe:
migrates when needed, seeds, says so; a second run changes nothing; recipe errors print
as diagnostics with file:line:col."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from seeding_support import SALES_APP

from engine.cli.seed import seed


@pytest.fixture
def small_app(tmp_path: Path) -> Path:
    """The sales template with its demo recipe's counts divided by 100."""
    folder = tmp_path / "sales_crm"
    shutil.copytree(SALES_APP, folder)
    recipe = folder / "seed" / "demo.yaml"
    text = recipe.read_text(encoding="utf-8")
    text = re.sub(
        r"^    count: (\d+)$", lambda m: f"    count: {int(m[1]) // 100}", text, flags=re.MULTILINE
    )
    recipe.write_text(text, encoding="utf-8")
    return folder


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(seed, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_seed_migrates_seeds_and_then_changes_nothing(small_app: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'demo.db').as_posix()}"
    code, output = invoke(str(small_app), "--demo", "--database-url", url, "--anchor", "2026-03-02")
    assert code == 0, output
    assert "The app's tables are missing: migrating first." in output
    assert "Added 9 users: admin, director, manager_east" in output
    assert "Added 3 teams: hq, east, west" in output
    assert re.search(
        r"Created \d+ records \(20 customer, \d+ contact, 50 deal, \d+ follow_up, \d+ contract\) "
        r"dated up to 2026-03-02",
        output,
    )
    code, output = invoke(str(small_app), "--demo", "--database-url", url)
    assert code == 0
    assert output.strip() == "The demo data is already there: nothing was changed."


def test_seed_without_demo_is_a_usage_error(small_app: Path) -> None:
    code, output = invoke(str(small_app))
    assert code == 2
    assert "--demo" in output


def test_recipe_errors_print_as_diagnostics(small_app: Path, tmp_path: Path) -> None:
    recipe = small_app / "seed" / "demo.yaml"
    text = recipe.read_text(encoding="utf-8").replace("level: {pick:", "levle: {pick:", 1)
    recipe.write_text(text, encoding="utf-8")
    line = text.splitlines().index(next(x for x in text.splitlines() if "levle:" in x)) + 1
    url = f"sqlite:///{(tmp_path / 'demo.db').as_posix()}"
    result = CliRunner().invoke(seed, [str(small_app), "--demo", "--database-url", url])
    assert result.exit_code == 1
    assert (
        f"{(small_app / 'seed' / 'demo.yaml').as_posix()}:{line}:7: error D111 "
        "/records/customer/fields/levle" in result.stderr
    )
    assert "did you mean 'level'?" in result.stderr
    assert "nothing was changed" in result.stderr
    assert not (tmp_path / "demo.db").exists() or "Created" not in result.output


def test_an_app_without_a_recipe(tmp_path: Path, small_app: Path) -> None:
    (small_app / "seed" / "demo.yaml").unlink()
    url = f"sqlite:///{(tmp_path / 'demo.db').as_posix()}"
    result = CliRunner().invoke(seed, [str(small_app), "--demo", "--database-url", url])
    assert result.exit_code == 1
    assert f"{(small_app / 'seed' / 'demo.yaml').as_posix()}: error D100 /" in result.stderr


def test_a_bad_database_url_is_a_usage_error(small_app: Path) -> None:
    code, output = invoke(str(small_app), "--demo", "--database-url", "nope://x")
    assert code == 2
    assert "Invalid value for '--database-url': unsupported database 'nope'" in output
