"""The `check` pipeline: load → schema → build → references, every diagnostic at once,
sorted; `ok` is false only for errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from minimal_app import ROOT, where

from engine.diagnostics import Diagnostic, Severity, sort_diagnostics
from engine.spec.check import AppChecker, CheckResult, check_app, schema_for


def test_the_minimal_app_is_clean(make_app: Any, registry: Any) -> None:
    result = check_app(make_app(), registry)
    assert result.diagnostics == []
    assert result.ok
    assert result.app is not None and result.app.id == "shop"


def test_the_sales_template_is_clean(registry: Any) -> None:
    result = check_app(ROOT / "apps" / "sales_crm", registry)
    assert [d.to_text() for d in result.diagnostics] == []
    assert result.app is not None and "contract" in result.app.entities


def test_a_missing_folder(tmp_path: Path, registry: Any) -> None:
    result = check_app(tmp_path / "nope", registry)
    assert result == CheckResult(app=None, diagnostics=result.diagnostics, ok=False)
    assert [d.code for d in result.diagnostics] == ["Y109"]


def test_a_schema_error_leaves_out_only_its_node_without_cascading(
    make_app: Any, registry: Any
) -> None:
    order = (Path(make_app()) / "entities/order.yaml").read_text(encoding="utf-8")
    broken = order.replace("amount: {type: money, min: 0}", "amount: {type: curency, min: 0}")
    broken = broken.replace("columns: [number]", "columns: [numbr]")
    result = check_app(make_app({"entities/order.yaml": broken}), registry)
    assert not result.ok
    # the field with the bad type is built without its type (`amount` stays known); the
    # unknown column of the same file is reported too
    assert where(result.diagnostics) == {
        ("S102", "/fields/amount/type", "entities/order.yaml:8:18"),
        ("R103", "/views/mine/columns/0", "entities/order.yaml:44:58"),
    }
    assert result.app is not None and not result.app.is_unbuilt("entity", "order")
    assert result.app.entities["order"].fields["amount"].type == ""


def test_a_schema_error_in_app_yaml_does_not_stop_the_checks(make_app: Any, registry: Any) -> None:
    app_yaml = (Path(make_app()) / "app.yaml").read_text(encoding="utf-8")
    broken = app_yaml.replace("app: shop", "app: shop\nweek_start: mon")
    order = (Path(make_app()) / "entities/order.yaml").read_text(encoding="utf-8")
    order = order.replace("to: customer,", "to: customers,")
    result = check_app(make_app({"app.yaml": broken, "entities/order.yaml": order}), registry)
    assert {d.code for d in result.diagnostics} == {"S102", "R102"}
    assert result.app is not None and result.app.week_start == "monday"


def test_a_node_the_schema_reported_is_not_reported_again(make_app: Any, registry: Any) -> None:
    order = (Path(make_app()) / "entities/order.yaml").read_text(encoding="utf-8")
    broken = order.replace(
        "approval: {approvers: [{type: role, role: boss}], mode: any}", "approval: {mode: any}"
    )
    result = check_app(make_app({"entities/order.yaml": broken}), registry)
    # the schema's S101 says it; R205 (no approvers) is the same problem of the same node
    assert [d.code for d in result.diagnostics] == ["S101"]


def test_every_phase_reports_at_once_in_order(make_app: Any, registry: Any) -> None:
    files = {
        "entities/customer.yaml": """
            entity: customer
            label: {en: Customer, fr: Client}
            fields:
              name: {type: text}
              owner: {type: user, visible_if: "nam != ''"}
              name: {type: text}
            """,
        "dashboards/sales.yaml": """
            dashboard: sales
            roles: [bos]
            widgets: []
            """,
    }
    result = check_app(make_app(files), registry)
    assert where(result.diagnostics) == {
        ("R104", "/roles/0", "dashboards/sales.yaml:2:9"),
        ("W120", "/label/fr", "entities/customer.yaml:2:23"),
        ("X103", "/fields/owner/visible_if", "entities/customer.yaml:5:36"),
        ("Y101", "/fields/name", "entities/customer.yaml:6:3"),
    }
    assert result.diagnostics == sort_diagnostics(result.diagnostics)
    assert not result.ok


def test_warnings_alone_are_ok(make_app: Any, registry: Any) -> None:
    customer = """
        entity: customer
        label: {en: Customer, fr: Client}
        fields:
          name: {type: text}
          owner: {type: user}
        """
    result = check_app(make_app({"entities/customer.yaml": customer}), registry)
    assert [(d.code, d.severity) for d in result.diagnostics] == [("W120", Severity.WARNING)]
    assert result.ok


def test_registry_problems_are_reported_with_the_app(make_app: Any, registry: Any) -> None:
    problem = Diagnostic("P101", "a plugin failed to load", "plugins/broken.py")
    result = check_app(make_app(), registry, registry_diagnostics=[problem])
    assert result.diagnostics == [problem]
    assert not result.ok


def test_the_schema_is_built_once_per_registry(make_app: Any, registry: Any) -> None:
    checker = AppChecker(registry)
    first = checker.check(make_app())
    assert checker.check(make_app()).ok and first.ok
    assert checker.schema is schema_for(registry) is AppChecker(registry).schema
    other = dataclasses.replace(registry)
    assert schema_for(other) is not schema_for(registry)
    assert schema_for(other) == schema_for(registry)


def test_every_code_the_checks_emit_is_listed() -> None:
    from engine.spec.codes import CODES

    # The checks of the spec, and those `check` adds from the database (engine/cli).
    paths = [*(ROOT / "engine" / "spec").glob("*.py"), *(ROOT / "engine" / "cli").glob("*.py")]
    emitted = {
        code
        for path in paths
        if path.name != "codes.py"
        for code in re.findall(r'"([RW][12][0-9]{2})"', path.read_text(encoding="utf-8"))
    }
    assert emitted == set(CODES)


def test_a_node_the_loader_reported_is_not_reported_by_the_schema(
    make_app: Any, registry: Any
) -> None:
    order = (Path(make_app()) / "entities/order.yaml").read_text(encoding="utf-8")
    broken = order.replace("card: [number, amount]", "card: &card [number, *card]")
    result = check_app(make_app({"entities/order.yaml": broken}), registry)
    # the alias reads as nothing: "expected text, got nothing" (S103) would say it again
    assert [(d.code, d.pointer) for d in result.diagnostics] == [("Y107", "/views/board/card/1")]


def test_a_file_that_cannot_be_parsed_does_not_cascade(make_app: Any, registry: Any) -> None:
    customer = "entity: customer\nfields:\n  name: {type: text\n"
    result = check_app(make_app({"entities/customer.yaml": customer}), registry)
    # order links to customer, the rollup and the suite use it: all of it stays quiet
    assert [d.code for d in result.diagnostics] == ["Y100"]
    assert result.app is not None and result.app.is_unbuilt("entity", "customer")


def _changed(make_app: Any, file: str, old: str, new: str) -> dict[str, str]:
    text = (Path(make_app()) / file).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return {file: text.replace(old, new)}


@pytest.mark.parametrize(
    ("file", "old", "new", "pointer"),
    [
        # the roles are unknown: no role is reported unknown
        ("app.yaml", "roles:", "role:", "/role"),
        # the workflow is unknown: no "has no workflow" for triggers and steps
        ("entities/order.yaml", "workflow:", "workflw:", "/workflw"),
        # the transitions are unknown: no unreachable state, no unknown action
        ("entities/order.yaml", "transitions:", "transitons:", "/workflow/transitons"),
        # the alias of the lookup is unknown: names after it are not reported
        ("rules/big_order.yaml", "as: tier}", "az: tier}", "/actions/0/az"),
        # the link's target is unknown: its members are not
        ("entities/order.yaml", "to: customer,", "too: customer,", "/fields/customer/too"),
    ],
)
def test_a_misspelt_key_is_one_problem_not_a_cascade(
    make_app: Any, registry: Any, file: str, old: str, new: str, pointer: str
) -> None:
    result = check_app(make_app(_changed(make_app, file, old, new)), registry)
    assert {d.code for d in result.diagnostics} <= {"S100", "S101"}
    assert ("S100", pointer) in {(d.code, d.pointer) for d in result.diagnostics}


def test_a_misspelt_kind_key_still_names_the_document(make_app: Any, registry: Any) -> None:
    files = _changed(make_app, "entities/customer.yaml", "entity: customer", "entty: customer")
    result = check_app(make_app(files), registry)
    assert [d.code for d in result.diagnostics] == ["Y112"]
    assert result.app is not None and result.app.is_unbuilt("entity", "customer")
