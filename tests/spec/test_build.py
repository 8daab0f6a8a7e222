"""Building the frozen spec from loaded documents: every key lands in its typed place, the
implicit state field is added, and documents that failed the schema are skipped but known."""

from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minimal_app import ROOT, built

from engine.spec.build import build_app, without
from engine.spec.document import Loc
from engine.spec.folder import load_app_folder
from engine.spec.model import ExprSpec, ScopeKind, ScopeSpec
from engine.spec.references import validate_app


def test_the_app_document(make_app: Any, registry: Any) -> None:
    app, problems = built(make_app(), registry)
    assert problems == []
    assert app.id == "shop"
    assert app.title == {"en": "Shop", "zh": "商店"}
    assert app.locales == ("en", "zh") and app.default_locale == "en"
    assert list(app.roles) == ["clerk", "boss"]
    assert app.roles["boss"].inherits == ("clerk",)
    assert app.roles["boss"].label == {"*": "Boss"}
    assert app.role_names == {"clerk", "boss", "admin"}
    assert app.includes[0] == "entities/*.yaml"
    assert app.loc == Loc("app.yaml", "")
    assert sorted(app.entities) == ["customer", "order"]
    assert list(app.automations) == ["big_order"]
    assert list(app.tables) == ["discount"] and list(app.dashboards) == ["sales"]
    assert list(app.suites) == ["flow"]


def test_fields_keep_their_order_and_typed_parts(make_app: Any, registry: Any) -> None:
    app, _ = built(make_app(), registry)
    order = app.entities["order"]
    assert list(order.fields) == [
        "number",
        "customer",
        "owner",
        "amount",
        "due",
        "lines",
        "total",
        "reason",
        "status",
    ]
    customer = order.fields["customer"]
    assert customer.link_target == "customer" and customer.required
    assert customer.on_delete == "restrict"
    assert customer.link_filter == ExprSpec(
        "name != this.reason", Loc("entities/order.yaml", "/fields/customer/filter")
    )
    assert order.fields["owner"].default is not None
    assert order.fields["owner"].default.expr == ExprSpec(
        "me()", Loc("entities/order.yaml", "/fields/owner/default"), offset=1
    )
    assert order.fields["amount"].option("min") == 0
    assert list(order.fields["lines"].subfields) == ["qty", "price"]
    assert order.fields["lines"].subfields["qty"].loc.pointer == "/fields/lines/fields/qty"
    assert order.fields["total"].formula_expr is not None
    assert order.fields["total"].formula_expr.text == "sum(lines.price)"
    assert order.fields["total"].result_type == "money"
    assert order.fields["reason"].required_if == ExprSpec(
        "status == 'rejected'", Loc("entities/order.yaml", "/fields/reason/required_if")
    )


def test_the_state_field_is_added_when_not_declared(make_app: Any, registry: Any) -> None:
    app, _ = built(make_app(), registry)
    status = app.entities["order"].fields["status"]
    assert status.type == "state" and status.implicit
    assert status.loc == Loc("entities/order.yaml", "/workflow")
    assert app.entities["order"].state_field is status
    assert not app.entities["customer"].fields["name"].implicit


def test_a_declared_state_field_is_kept(make_app: Any, registry: Any) -> None:
    entity = """
        entity: ticket
        fields:
          stage: {type: state, label: Stage}
        workflow:
          field: stage
          states: {open: {initial: true, final: true}}
        """
    app, _ = built(make_app({"entities/ticket.yaml": entity}), registry)
    stage = app.entities["ticket"].fields["stage"]
    assert not stage.implicit and stage.label == {"*": "Stage"}
    assert list(app.entities["ticket"].fields) == ["stage"]


def test_rollups_and_select_options(make_app: Any, registry: Any) -> None:
    customer = """
        entity: customer
        fields:
          name: {type: text}
          kind: {type: select, options: [a, {value: b, label: {en: Bee}, color: red}]}
          total:
            type: rollup
            source: order
            match: "customer == this.id"
            aggregate: sum
            field: amount
            where: "status == 'done'"
        """
    app, _ = built(make_app({"entities/customer.yaml": customer}), registry)
    fields = app.entities["customer"].fields
    assert fields["kind"].choice_values == ("a", "b")
    assert fields["kind"].choices[1].label == {"en": "Bee"}
    assert fields["kind"].choices[1].color == "red"
    rollup = fields["total"].rollup
    assert rollup is not None
    assert (rollup.source, rollup.link, rollup.aggregate, rollup.field) == (
        "order",
        None,
        "sum",
        "amount",
    )
    assert rollup.match is not None and rollup.match.text == "customer == this.id"
    assert rollup.where is not None and rollup.where.loc.pointer == "/fields/total/where"


def test_permissions_become_typed_scopes(make_app: Any, registry: Any) -> None:
    app, _ = built(make_app(), registry)
    roles = app.entities["order"].permissions.roles
    clerk, boss = roles["clerk"], roles["boss"]
    assert clerk.create and clerk.read == ScopeSpec(ScopeKind.OWN)
    assert clerk.delete == ScopeSpec(ScopeKind.NONE)
    assert not boss.create and boss.read == ScopeSpec(ScopeKind.ALL)
    assert boss.update.kind is ScopeKind.EXPRESSION
    assert boss.update.expr == ExprSpec(
        "amount < 1000", Loc("entities/order.yaml", "/permissions/boss/update"), offset=1
    )


def test_the_workflow(make_app: Any, registry: Any) -> None:
    app, _ = built(make_app(), registry)
    workflow = app.entities["order"].workflow
    assert workflow is not None
    assert workflow.field == "status" and workflow.initial_state == "draft"
    assert list(workflow.states) == ["draft", "review", "done", "rejected"]
    assert workflow.states["draft"].editable == ("customer", "amount")
    review = workflow.states["review"].approval
    assert review is not None and review.mode == "any"
    assert review.approvers[0].type == "role" and review.approvers[0].role == "boss"
    (approve,) = workflow.transitions["approve"]
    assert approve.from_states == ("review",) and approve.to == ("done",)
    assert approve.set["due"].expr is not None and approve.set["due"].expr.text == "today()"
    assert workflow.transitions["reject"][0].comment == "required"
    assert workflow.transitions["submit"][0].comment == "optional"
    assert [t.name for t in workflow.transitions_from("review")] == ["approve", "reject"]


def test_transition_lists_durations_and_state_map(make_app: Any, registry: Any) -> None:
    entity = """
        entity: ticket
        fields: {}
        workflow:
          states:
            open:
              initial: true
              approval:
                approvers: [{type: manager}]
                due: {after: 48h}
            closed: {final: true}
          transitions:
            approve:
              - {from: open, to: closed, if: "id > 0"}
              - {from: "*", to: [open, closed]}
          state_map: {pending: open}
        """
    app, _ = built(make_app({"entities/ticket.yaml": entity}), registry)
    workflow = app.entities["ticket"].workflow
    assert workflow is not None
    first, second = workflow.transitions["approve"]
    assert (first.index, second.index) == (0, 1)
    assert first.guard is not None and first.loc.pointer == "/workflow/transitions/approve/0"
    assert second.from_any and second.to == ("open", "closed")
    approval = workflow.states["open"].approval
    assert approval is not None and approval.due is not None
    assert approval.due.after == timedelta(hours=48)
    assert approval.approvers[0].user_field == "owner"
    assert workflow.state_map == {"pending": "open"}


def test_views_forms_indexes(make_app: Any, registry: Any) -> None:
    app, _ = built(make_app(), registry)
    order = app.entities["order"]
    assert order.views["all"].sort[0].field == "created_at"
    assert order.views["all"].sort[0].descending
    assert order.views["board"].group_by == "status"
    assert order.views["mine"].filter is not None
    assert order.forms["default"].modes == ("create", "edit", "view")
    assert order.forms["default"].sections[0].fields == ("customer", "amount", "lines")
    assert [(i.fields, i.unique) for i in order.indexes] == [
        (("owner", "status"), False),
        (("number",), True),
    ]


def test_automations_tables_dashboards_suites(make_app: Any, registry: Any) -> None:
    app, _ = built(make_app(), registry)
    rule = app.automations["big_order"]
    assert rule.enabled and rule.mode == "queued"
    assert rule.triggers[0].entity == "order" and rule.triggers[0].option("changed") == ("amount",)
    lookup, set_action, notify = rule.actions
    assert lookup.table == "discount" and lookup.alias == "tier"
    assert lookup.inputs["amount"].expr is not None
    assert set_action.values["reason"].expr is not None
    assert notify.channel == "inbox" and notify.recipients[0].user_field == "owner"
    table = app.tables["discount"]
    assert table.input_names == ("amount",) and table.output_names == ("label",)
    assert table.rules[1].when["amount"].expr is not None
    assert table.rules[1].when["amount"].expr.text == "? < 1000"
    widgets = app.dashboards["sales"].widgets
    assert widgets[1].group_by is not None and widgets[1].group_by.field == "owner"
    steps = app.suites["flow"].scenarios[0].steps
    assert [s.type for s in steps] == ["create", "create", "action", "expect"]
    assert steps[0].alias == "acme" and steps[2].record == "o"


def test_the_spec_is_immutable(make_app: Any, registry: Any) -> None:
    app, _ = built(make_app(), registry)
    assert isinstance(app.entities, MappingProxyType)
    with pytest.raises(TypeError):
        app.entities["x"] = app.entities["order"]  # type: ignore[index]
    with pytest.raises(TypeError):
        app.entities["order"].fields["amount"].options["min"] = 1  # type: ignore[index]


def test_rejected_nodes_are_left_out_and_the_rest_is_built(make_app: Any, registry: Any) -> None:
    folder = load_app_folder(make_app())
    rejected = {
        "entities/order.yaml": {"/fields/amount", "/views/board/type", "/indexes/0"},
        "app.yaml": {"/title"},
    }
    app, problems = build_app(folder, registry, rejected)
    assert app is not None and problems == []
    order = app.entities["order"]
    # a rejected field is declared but unbuilt; a rejected key takes its default
    assert "amount" not in order.fields and order.unbuilt_fields == {"amount"}
    assert order.views["board"].type == "table" and order.views["board"].group_by == "status"
    # a rejected list item leaves a hole: the other items keep their places
    assert [index.fields for index in order.indexes] == [(), ("number",)]
    assert order.indexes[1].loc.pointer == "/indexes/1"
    assert app.title == {} and app.roles.keys() == {"clerk", "boss"}
    assert not app.is_unbuilt("entity", "order")


def test_the_document_itself_rejected_is_unbuilt(make_app: Any, registry: Any) -> None:
    folder = load_app_folder(make_app())
    app, _ = build_app(folder, registry, {"entities/order.yaml": {""}})
    assert app is not None
    assert "order" not in app.entities and app.is_unbuilt("entity", "order")
    assert not app.is_unbuilt("entity", "customer")


def test_a_file_that_cannot_be_parsed_is_unbuilt_by_its_first_line(
    make_app: Any, registry: Any
) -> None:
    broken = "entity: order\nfields:\n  number: {type: text\n"
    folder = load_app_folder(make_app({"entities/order.yaml": broken}))
    assert [d.code for d in folder.diagnostics] == ["Y100"]
    assert folder.unparsed == (("entity", "order"),)
    app, _ = build_app(folder, registry)
    assert app is not None and app.is_unbuilt("entity", "order")


def test_without_copies_only_the_way_to_a_rejected_node() -> None:
    data = {"a": {"b": [1, 2, 3]}, "c": {"d": 1}}
    pruned = without(data, ["/a/b/1", "/missing/x", "/a/b/9"])
    assert pruned == {"a": {"b": [1, None, 3]}, "c": {"d": 1}}
    assert data == {"a": {"b": [1, 2, 3]}, "c": {"d": 1}}
    assert pruned["c"] is data["c"]
    assert without(data, [""]) is None


def test_no_spec_without_an_app_document(make_app: Any, registry: Any) -> None:
    folder = load_app_folder(make_app({"app.yaml": None}))
    assert build_app(folder, registry) == (None, [])


def test_ill_typed_values_do_not_crash_the_builder(make_app: Any, registry: Any) -> None:
    entity = """
        entity: odd
        label: [not, a, label]
        fields:
          a: {type: text, required: "yes", validations: "none", label: 5}
          b: 7
          c: {type: link, to: [x]}
        workflow: {states: [draft], transitions: {go: 5}}
        views: {v: {type: kanban, group_by: [a], sort: "a"}}
        permissions: {clerk: {read: everything}}
        """
    app, _ = built(make_app({"entities/odd.yaml": entity}), registry)
    odd = app.entities["odd"]
    assert odd.label == {} and list(odd.fields) == ["a", "c", "status"]
    assert not odd.fields["a"].required and odd.fields["a"].validations == ()
    assert odd.fields["c"].link_target is None
    assert odd.workflow is not None and odd.workflow.states == {}
    assert odd.workflow.transitions == {"go": ()}
    assert odd.views["v"].group_by is None and odd.views["v"].sort == ()
    assert odd.permissions.roles["clerk"].read == ScopeSpec(ScopeKind.NONE)


JUNK: list[object] = [None, 5, 1.5, True, "x", "=", "=1 +", "=?", "-", "*", [], {}, ["a", {"b": 1}]]


def _paths(data: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*path, index))
    return found


def _mutate(data: object, picks: list[tuple[int, int]]) -> object:
    data = copy.deepcopy(data)
    for where_, what in picks:
        paths = [p for p in _paths(data) if len(p) > 1]
        if not paths:
            break
        path = paths[where_ % len(paths)]
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = copy.deepcopy(JUNK[what % len(JUNK)])
    return data


@settings(max_examples=25, deadline=None)
@given(picks=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 100)), max_size=4))
def test_mutated_documents_never_crash_the_builder_or_checks(
    registry: Any, picks: list[tuple[int, int]]
) -> None:
    """Any value anywhere may be junk (the schema phase is skipped): still only diagnostics."""
    folder = load_app_folder(ROOT / "apps" / "sales_crm")
    documents = tuple(
        dataclasses.replace(doc, data=_mutate(doc.data, picks)) for doc in folder.documents
    )
    mutated = dataclasses.replace(folder, documents=documents)
    app, problems = build_app(mutated, registry)
    assert app is not None and problems == []
    for found in validate_app(app, registry, folder.sources):
        # S: the key rules, regular expressions and time zones checked beside the schema
        assert found.code[0] in "RWXPS" and found.file and found.message
