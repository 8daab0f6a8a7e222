"""The Sales CRM template (apps/sales_crm) checks clean with the default registry, keeps every
name CONTRACT.md promises to API clients, is bilingual, and carries the editor modeline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.diagnostics import Severity
from engine.plugins import default_registry
from engine.spec.check import CheckResult, check_app
from engine.spec.model import AppSpec, EntitySpec, Label

ROOT = Path(__file__).resolve().parent.parent.parent
APP_DIR = ROOT / "apps" / "sales_crm"
SCHEMA = ROOT / "schemas" / "app.schema.json"
LOCALES = {"zh", "en"}

# CONTRACT.md, "The sales template's names": entity → field → field type.
CONTRACT_FIELDS: dict[str, dict[str, str]] = {
    "customer": {"owner": "user"},
    "contact": {"owner": "user"},
    "follow_up": {"owner": "user"},
    "deal": {"owner": "user", "name": "text", "customer": "link", "amount": "money"},
    "contract": {"owner": "user", "deal": "link", "customer": "link", "amount": "money"},
    "target": {
        "owner": "user",
        "amount": "money",
        "actual": "rollup",
        "attainment": "formula",
        "scope": "select",
        "team": "team",
        "user": "user",
        "period_type": "select",
        "period_start": "date",
        "period_end": "date",
        "parent": "link",
    },
    "bonus": {"owner": "user", "user": "user", "target": "link", "amount": "money"},
}
CONTRACT_LINKS = {
    ("deal", "customer"): "customer",
    ("contract", "deal"): "deal",
    ("contract", "customer"): "customer",
    ("target", "parent"): "target",
    ("bonus", "target"): "target",
}
DEAL_STAGES = {"lead", "contacted", "qualified", "proposal", "negotiation", "won", "lost"}
APPROVAL_ACTIONS = {"approve", "reject", "send_back", "recall"}


@pytest.fixture(scope="module")
def result() -> CheckResult:
    registry, problems = default_registry(ROOT)
    return check_app(APP_DIR, registry, registry_diagnostics=problems)


@pytest.fixture(scope="module")
def app(result: CheckResult) -> AppSpec:
    assert result.app is not None, "the template could not be built"
    return result.app


def test_check_reports_no_errors(result: CheckResult) -> None:
    errors = [d.to_text() for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors == []
    assert result.ok is True


def test_check_reports_no_warnings(result: CheckResult) -> None:
    warnings = [d.to_text() for d in result.diagnostics if d.severity is Severity.WARNING]
    assert warnings == []


def test_app_settings(app: AppSpec) -> None:
    assert app.id == "sales_crm"
    assert app.locales == ("zh", "en")
    assert (app.currency, app.timezone) == ("CNY", "Asia/Shanghai")
    inherits = {name: role.inherits for name, role in app.roles.items()}
    assert inherits == {
        "sales_rep": (),
        "sales_manager": ("sales_rep",),
        "sales_director": ("sales_manager",),
        "finance": (),
    }


def test_every_document_kind_is_present(app: AppSpec) -> None:
    assert set(app.entities) == set(CONTRACT_FIELDS)
    assert {"approval_threshold", "bonus_tiers"} <= set(app.tables)
    dashboards = {"company_targets", "team_targets", "my_targets", "leaderboard", "pipeline"}
    assert dashboards <= set(app.dashboards)
    assert len(app.suites) >= 2
    assert len(app.automations) >= 9


@pytest.mark.parametrize(
    ("entity", "field", "type_name"),
    [(e, f, t) for e, fields in CONTRACT_FIELDS.items() for f, t in fields.items()],
)
def test_contract_field_exists_with_its_type(
    app: AppSpec, entity: str, field: str, type_name: str
) -> None:
    assert app.entities[entity].fields[field].type == type_name


@pytest.mark.parametrize(("entity", "field"), sorted(CONTRACT_LINKS))
def test_contract_link_points_at_its_entity(app: AppSpec, entity: str, field: str) -> None:
    assert app.entities[entity].fields[field].link_target == CONTRACT_LINKS[(entity, field)]


def test_target_select_options(app: AppSpec) -> None:
    fields = app.entities["target"].fields
    assert fields["scope"].choice_values == ("company", "team", "user")
    assert fields["period_type"].choice_values == ("year", "quarter", "month", "week")


def test_deal_stages(app: AppSpec) -> None:
    workflow = app.entities["deal"].workflow
    assert workflow is not None
    assert workflow.field == "stage"
    assert set(workflow.states) == DEAL_STAGES
    assert [s.name for s in workflow.states.values() if s.initial] == ["lead"]
    assert workflow.transitions["lose"][0].requires == ("lost_reason",)
    assert "close_date" in workflow.transitions["win"][0].set


def test_contract_states_and_actions(app: AppSpec) -> None:
    workflow = app.entities["contract"].workflow
    assert workflow is not None
    assert workflow.field == "status"
    assert [s.name for s in workflow.states.values() if s.initial] == ["draft"]
    # An approved contract may still be cancelled (作废): it is not final.
    assert {s.name for s in workflow.states.values() if s.final} == {"cancelled", "rejected"}
    assert {"submit", *APPROVAL_ACTIONS} <= set(workflow.transitions)
    allowed = {
        name
        for state in workflow.states.values()
        if state.approval
        for name in state.approval.allow
    }
    assert {"transfer", "add_approver"} <= allowed


def test_contract_director_step_is_routed_by_the_threshold(app: AppSpec) -> None:
    workflow = app.entities["contract"].workflow
    assert workflow is not None
    routes = [
        (t.from_states, t.to, t.guard.text if t.guard else None)
        for t in workflow.transitions["approve"]
    ]
    assert routes[0] == (("review",), ("director",), "director_required")
    director = workflow.states["director"].approval
    assert director is not None
    assert director.mode == "all"


def test_target_has_publish_and_bonus_has_statuses(app: AppSpec) -> None:
    target = app.entities["target"].workflow
    bonus = app.entities["bonus"].workflow
    assert target is not None and bonus is not None
    assert target.transitions["publish"][0].to == ("published",)
    assert {"pending", "manager", "finance", "paid", "rejected"} == set(bonus.states)


def _labels(entity: EntitySpec) -> Iterator[tuple[str, Label]]:
    yield entity.name, entity.label
    for field in entity.fields.values():
        if not field.implicit:
            yield f"{entity.name}.{field.name}", field.label
        for option in field.choices:
            yield f"{entity.name}.{field.name}={option.value}", option.label
    for view in entity.views.values():
        yield f"{entity.name} view {view.name}", view.label
    if entity.workflow is not None:
        for state in entity.workflow.states.values():
            yield f"{entity.name} state {state.name}", state.label
        for transitions in entity.workflow.transitions.values():
            for transition in transitions:
                yield f"{entity.name} action {transition.name}", transition.label


def test_every_label_is_in_chinese_and_english(app: AppSpec) -> None:
    found = [(where, label) for entity in app.entities.values() for where, label in _labels(entity)]
    found += [(f"automation {a.name}", a.label) for a in app.automations.values()]
    found += [(f"table {t.name}", t.label) for t in app.tables.values()]
    for dashboard in app.dashboards.values():
        found.append((f"dashboard {dashboard.name}", dashboard.label))
        found += [(f"widget {w.id}", w.title) for w in dashboard.widgets]
    missing = [where for where, label in found if not set(label) >= LOCALES]
    assert missing == []


def test_every_yaml_file_starts_with_the_modeline() -> None:
    # seed/ holds the demo-data recipe (docs/seeding.md), not an app document.
    files = sorted(p for p in APP_DIR.rglob("*.yaml") if "seed" not in p.relative_to(APP_DIR).parts)
    assert len(files) > 20
    wrong = []
    for path in files:
        schema = Path(os.path.relpath(SCHEMA, path.parent)).as_posix()
        expected = f"# yaml-language-server: $schema={schema}"
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        if first_line != expected:
            wrong.append(f"{path.relative_to(APP_DIR)}: {first_line!r}")
    assert wrong == []
