"""The `check` pipeline: load → schema → build → references, every diagnostic at once,
sorted; `ok` is false only for errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from conftest import ROOT, where

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


def test_a_schema_error_skips_the_document_without_cascading(make_app: Any, registry: Any) -> None:
    order = (Path(make_app()) / "entities/order.yaml").read_text(encoding="utf-8")
    broken = order.replace("amount: {type: money, min: 0}", "amount: {type: curency, min: 0}")
    result = check_app(make_app({"entities/order.yaml": broken}), registry)
    assert not result.ok
    assert {d.code[0] for d in result.diagnostics} == {"S"}
    assert {(d.pointer, d.file) for d in result.diagnostics} == {
        ("/fields/amount/type", "entities/order.yaml")
    }
    assert result.app is not None and result.app.is_unbuilt("entity", "order")


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

    spec = ROOT / "engine" / "spec"
    emitted = {
        code
        for path in spec.glob("*.py")
        if path.name != "codes.py"
        for code in re.findall(r'"([RW][12][0-9]{2})"', path.read_text(encoding="utf-8"))
    }
    assert emitted == set(CODES)
