"""`formwork graph APP_DIR ENTITY`: Mermaid by default, DOT on request, labels by locale, and
clear usage errors for an unknown entity or locale and for an entity without a workflow."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import main

SALES = Path(__file__).resolve().parent.parent.parent / "apps" / "sales_crm"


def graph(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["graph", str(SALES), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_mermaid_in_the_default_locale() -> None:
    code, out, _ = graph("contract")
    assert code == 0
    lines = out.splitlines()
    assert lines[:4] == ["---", 'title: "合同审批"', "---", "stateDiagram-v2"]
    assert '    state "经理审批 (approval · any)" as review' in lines
    assert "    review --> director: approve (同意) [director_required]" in lines
    assert "    [*] --> draft" in lines


def test_dot_in_another_locale() -> None:
    code, out, _ = graph("deal", "--format", "dot", "--locale", "en")
    assert code == 0
    assert out.startswith('digraph "deal" {\n')
    assert out.endswith("}\n")
    assert '"__start" -> "lead";' in out


def test_an_unknown_entity_suggests_the_closest() -> None:
    code, _, err = graph("contrct")
    assert code == 2
    assert "the app 'sales_crm' has no entity 'contrct'; did you mean 'contract'?" in err


def test_an_entity_without_a_workflow_says_which_have_one() -> None:
    code, _, err = graph("customer")
    assert code == 2
    assert "'customer' has no workflow to draw (entities with a workflow: " in err
    assert "contract" in err


def test_an_unknown_locale_is_a_usage_error() -> None:
    code, _, err = graph("contract", "--locale", "fr")
    assert code == 2
    assert "the app 'sales_crm' has no locale 'fr'" in err


def test_an_app_with_errors_is_not_drawn(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("app: broken\ntitle: 3\nlocales: [en]\nnope: 1\n")
    result = CliRunner().invoke(main, ["graph", str(tmp_path), "x"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "The app has errors" in result.stderr
