"""`formwork token create USER`: prints a working token once."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from runtime_support import ROOT, SALES_APP

from engine.cli.context import CliContext
from engine.cli.token import token
from engine.runtime.engine import Engine
from engine.spec.registry import Registry


def test_a_token_is_printed_and_resolves_to_the_user(
    database_url: str, project_registry: Registry, tmp_path: Path
) -> None:
    engine = Engine.load(
        SALES_APP, database_url=database_url, project_root=tmp_path, registry=project_registry
    )
    try:
        engine.migrate()
        engine.people.create_user("ann")
        engine.people.grant_role("sales_crm", "ann", "sales_rep")
        options = ["--app", str(SALES_APP), "--database-url", database_url]
        cli = CliContext(ROOT, _registry=(project_registry, []))
        result = CliRunner().invoke(token, ["create", "ann", *options], obj=cli)
        assert result.exit_code == 0, result.output
        issued = result.output.strip()
        assert len(issued) >= 40
        actor = engine.people.actor_for_token(issued, "sales_crm")
        assert actor is not None and actor.username == "ann" and actor.roles == {"sales_rep"}
        unknown = CliRunner().invoke(token, ["create", "ghost", *options], obj=cli)
        assert unknown.exit_code == 1 and "no active user 'ghost'" in unknown.output
    finally:
        engine.close()
