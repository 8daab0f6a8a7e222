"""`formwork new NAME --from TEMPLATE [--into DIR]`: a renamed, valid copy that migrates and
serves beside the original; refusals leave nothing behind."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import main
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.spec.check import check_app
from engine.spec.registry import Registry

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--root", str(ROOT), *args])
    return result.exit_code, result.output


def test_a_clone_is_renamed_valid_and_serves_beside_the_original(
    tmp_path: Path, project_registry: Registry
) -> None:
    code, output = run("new", "east_crm", "--from", "sales_crm", "--into", str(tmp_path))
    clone = tmp_path / "east_crm"
    assert code == 0, output
    assert f"Created {clone} (app 'east_crm')" in output
    text = (clone / "app.yaml").read_text(encoding="utf-8")
    assert "\napp: east_crm\n" in text and "# Sales CRM template" in text  # comments kept
    modeline = (clone / "rules" / "deal_won_notify.yaml").read_text(encoding="utf-8")
    schema = modeline.splitlines()[0].split("$schema=")[1]
    assert (clone / "rules" / schema).resolve() == ROOT / "schemas" / "app.schema.json"
    result = check_app(clone, project_registry)
    assert result.ok and result.app is not None and result.app.id == "east_crm"
    assert sorted(p.name for p in clone.iterdir()) == sorted(p.name for p in SALES_APP.iterdir())
    # both apps in one database, side by side: their own tables, their own records
    url = f"sqlite:///{tmp_path / 'both.db'}"
    engines = [
        Engine.load(app, database_url=url, project_root=tmp_path, registry=project_registry)
        for app in (SALES_APP, clone)
    ]
    try:
        for engine in engines:
            engine.migrate()
        original, copy = engines
        assert copy.tables.entity("deal").name == "east_crm__deal"
        copy.people.create_user("rep")
        copy.records.create(Actor.system(), "customer", {"name": "Only East", "owner": "rep"})
        assert [r["name"] for r in copy.records.list(Actor.system(), "customer").records] == [
            "Only East"
        ]
        assert original.records.list(Actor.system(), "customer").records == ()
    finally:
        for engine in engines:
            engine.close()


def test_refusals_say_why_and_create_nothing(tmp_path: Path) -> None:
    assert run("new", "East-CRM", "--from", "sales_crm", "--into", str(tmp_path))[0] == 1
    assert run("new", "x", "--from", "no_such_app", "--into", str(tmp_path)) == (
        1,
        "error: no app folder 'no_such_app' (nor apps/no_such_app)\n",
    )
    (tmp_path / "taken").mkdir()
    code, output = run("new", "taken", "--from", "sales_crm", "--into", str(tmp_path))
    assert code == 1 and "exists already" in output
    broken = tmp_path / "broken"
    shutil.copytree(SALES_APP, broken)
    deal = broken / "entities" / "deal.yaml"
    deal.write_text(deal.read_text(encoding="utf-8").replace("type: money", "type: mony"))
    code, output = run("new", "fixed", "--from", str(broken), "--into", str(tmp_path))
    assert code == 1 and "S102" in output and "nothing was created" in output
    assert not (tmp_path / "fixed").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "taken"]
