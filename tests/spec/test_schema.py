"""The app-folder JSON Schema: well-formed draft-07, documented everywhere, closed
everywhere, discriminated explicitly, and right about real documents of every kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import pytest
import yaml

from engine.plugins import default_registry
from engine.spec.build_entity import COMMON_FIELD_KEYS
from engine.spec.registry import ActionType, Registry
from engine.spec.schema import FILE_KINDS, SHARED_DEFINITIONS, build_schema, common_field_keys

ROOT = Path(__file__).resolve().parents[2]
ANNOTATIONS = {"description", "title", "default", "examples", "enumDescriptions"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg, problems = default_registry(ROOT)
    assert problems == []
    return reg


@pytest.fixture(scope="module")
def schema(registry: Registry) -> dict[str, Any]:
    return build_schema(registry)


def validator(schema: dict[str, Any], definition: str | None = None) -> Any:
    """A validator of the whole schema, or of one definition (as the loader uses it)."""
    if definition is None:
        return jsonschema.Draft7Validator(schema)
    root = {"definitions": schema["definitions"], "$ref": f"#/definitions/{definition}"}
    return jsonschema.Draft7Validator(root)


def errors(schema: dict[str, Any], document: Any, definition: str | None = None) -> list[Any]:
    return list(validator(schema, definition).iter_errors(document))


def paths(schema: dict[str, Any], document: Any, definition: str | None = None) -> set[str]:
    return {
        "/" + "/".join(str(p) for p in e.absolute_path)
        for e in errors(schema, document, definition)
    }


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in the document, skipping `if` conditions (they only test)."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key in ("if", "enum", "const", "default", "examples", "x-functions"):
                continue
            if key in ("properties", "definitions"):
                for name, child in value.items():
                    yield from walk(child, f"{pointer}/{key}/{name}")
            else:
                yield from walk(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def is_discriminator(node: dict[str, Any]) -> bool:
    branches = node.get("allOf", [])
    return bool(branches) and all("if" in b and "then" in b for b in branches)


# ---------------------------------------------------------------- the document as a whole


def test_the_schema_is_valid_draft_07(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def test_every_property_has_a_description(schema: dict[str, Any]) -> None:
    missing = [
        f"{pointer}/properties/{name}"
        for pointer, node in walk(schema)
        for name, prop in node.get("properties", {}).items()
        if not (isinstance(prop, dict) and str(prop.get("description", "")).strip())
    ]
    assert missing == []


def test_every_definition_has_a_title_and_a_description(schema: dict[str, Any]) -> None:
    untitled = [n for n, d in schema["definitions"].items() if not d.get("title")]
    undescribed = [n for n, d in schema["definitions"].items() if not d.get("description")]
    assert (untitled, undescribed) == ([], [])


def test_every_object_with_keys_is_closed_or_a_discriminator(schema: dict[str, Any]) -> None:
    open_objects = [
        pointer
        for pointer, node in walk(schema)
        if "properties" in node
        and node.get("additionalProperties") is not False
        and not is_discriminator(node)
    ]
    assert open_objects == []


def test_polymorphic_nodes_use_if_then_discriminators_not_one_of(schema: dict[str, Any]) -> None:
    assert [p for p, node in walk(schema) if "oneOf" in node] == []
    for name in ("field", "subform_field", "approver", "trigger", "action", "view", "widget"):
        node = schema["definitions"][name]
        assert node["required"] == ["type"]
        assert is_discriminator(node), name
        enum = node["properties"]["type"]["enum"]
        targets = [b["then"]["$ref"] for b in node["allOf"]]
        prefix = "field" if name == "subform_field" else name
        assert targets == [f"#/definitions/{prefix}_{t}" for t in enum]
    assert is_discriminator(schema["definitions"]["step"])


def test_any_of_is_used_only_for_unions_of_simple_shapes(schema: dict[str, Any]) -> None:
    for pointer, node in walk(schema):
        for branch in node.get("anyOf", []):
            assert "properties" not in branch, pointer


def test_ref_siblings_are_only_annotations(schema: dict[str, Any]) -> None:
    # draft-07 ignores everything beside $ref, so a constraint there would silently not apply
    offending = [
        p for p, node in walk(schema) if "$ref" in node and set(node) - {"$ref"} - ANNOTATIONS
    ]
    assert offending == []


def test_every_ref_resolves(schema: dict[str, Any]) -> None:
    names = set(schema["definitions"])
    refs = {node["$ref"] for _, node in walk(schema) if "$ref" in node}
    assert {r.removeprefix("#/definitions/") for r in refs} <= names
    assert names >= SHARED_DEFINITIONS


def test_ids_are_snake_case_of_at_most_48_characters(schema: dict[str, Any]) -> None:
    id_schema = schema["definitions"]["id"]
    assert (id_schema["pattern"], id_schema["maxLength"]) == ("^[a-z][a-z0-9_]*$", 48)
    fields = schema["definitions"]["entity_file"]["properties"]["fields"]
    assert fields["propertyNames"] == {"pattern": "^[a-z][a-z0-9_]*$", "maxLength": 48}


def test_the_common_field_keys_are_those_the_spec_builder_knows() -> None:
    assert common_field_keys() | {"type"} == COMMON_FIELD_KEYS


# ---------------------------------------------------------------- minimal documents

MINIMAL = {
    "app": {"app": "crm"},
    "entity": {"entity": "customer", "fields": {"name": {"type": "text"}}},
    "automation": {
        "automation": "hello",
        "triggers": [{"type": "record_created", "entity": "customer"}],
        "actions": [{"type": "set", "values": {"name": "x"}}],
    },
    "table": {
        "table": "tiers",
        "inputs": [{"name": "amount", "type": "money"}],
        "outputs": [{"name": "rate", "type": "percent"}],
        "rules": [{"when": {"amount": "-"}, "then": {"rate": 0.1}}],
    },
    "dashboard": {"dashboard": "overview", "widgets": []},
    "suite": {
        "suite": "smoke",
        "scenarios": [{"name": "it runs", "steps": [{"type": "run_worker"}]}],
    },
}


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_minimal_document_of_each_kind_is_valid(schema: dict[str, Any], kind: str) -> None:
    assert errors(schema, MINIMAL[kind], f"{kind}_file") == []
    assert errors(schema, MINIMAL[kind]) == []


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_the_root_dispatches_on_the_first_key(schema: dict[str, Any], kind: str) -> None:
    document = {**MINIMAL[kind], "bogus": 1}
    assert "/" in paths(schema, document)
    assert {e.validator for e in errors(schema, document)} == {"additionalProperties"}


def test_a_file_of_no_known_kind_is_rejected(schema: dict[str, Any]) -> None:
    found = errors(schema, {"entiti": "customer"})
    assert sorted(e.message for e in found) == sorted(
        f"'{kind}' is a required property" for kind in FILE_KINDS
    )


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_the_kind_key_is_required(schema: dict[str, Any], kind: str) -> None:
    document = {k: v for k, v in MINIMAL[kind].items() if k != kind}
    messages = [e.message for e in errors(schema, document, f"{kind}_file")]
    assert f"'{kind}' is a required property" in messages


# ---------------------------------------------------------------- every type, one by one

FIELD_EXAMPLES: dict[str, dict[str, Any]] = {
    "text": {"max_length": 80, "pattern": "^[A-Z]", "pattern_message": "Capital first"},
    "long_text": {"rich": True},
    "number": {"min": 0, "precision": 3, "unit": "kg"},
    "integer": {"min": 1, "max": 9},
    "money": {"min": 0, "currency": "USD"},
    "percent": {"max": 1, "precision": 1},
    "date": {"min": "=today()", "max": "2030-12-31"},
    "datetime": {"min": "2026-01-01T00:00"},
    "boolean": {"default": False},
    "select": {"options": ["a", {"value": "b", "label": {"en": "B"}, "color": "red"}]},
    "multi_select": {"options": ["a", "b"], "max_items": 2},
    "email": {"max_length": 120},
    "phone": {},
    "url": {},
    "user": {"roles": ["sales_rep"], "default": "=me()"},
    "team": {},
    "link": {"to": "customer", "on_delete": "cascade", "filter": "active"},
    "subform": {"fields": {"qty": {"type": "integer"}}, "max_rows": 50},
    "attachment": {"accept": [".pdf", "image/*"], "max_size_mb": 20},
    "sequence": {"pattern": "HT-{yyyy}-{0000}", "reset": "yearly"},
    "formula": {"expr": "qty * price", "result": "money"},
    "rollup": {"source": "deal", "link": "customer", "aggregate": "sum", "field": "amount"},
    "state": {},
    "rating": {"max": 10, "allow_half": True},
}


def test_the_field_examples_cover_every_field_type(registry: Registry) -> None:
    assert set(FIELD_EXAMPLES) == set(registry.field_types)


@pytest.mark.parametrize("name", sorted(FIELD_EXAMPLES))
def test_each_field_type_accepts_its_own_keys(schema: dict[str, Any], name: str) -> None:
    field = {"type": name, "label": "L", "required": True, **FIELD_EXAMPLES[name]}
    assert errors(schema, field, "field") == []


@pytest.mark.parametrize("name", sorted(FIELD_EXAMPLES))
def test_each_field_type_rejects_keys_it_does_not_have(schema: dict[str, Any], name: str) -> None:
    foreign = "rich" if name != "long_text" else "precision"
    field = {"type": name, **FIELD_EXAMPLES[name], foreign: True}
    found = errors(schema, field, "field")
    assert [(e.validator, list(e.absolute_path)) for e in found] == [("additionalProperties", [])]
    assert f"'{foreign}' was unexpected" in found[0].message


def test_an_unknown_field_type_is_rejected_at_type(schema: dict[str, Any]) -> None:
    found = errors(schema, {"type": "curency"}, "field")
    assert [(e.validator, list(e.absolute_path)) for e in found] == [("enum", ["type"])]


def test_required_own_keys_are_required(schema: dict[str, Any]) -> None:
    found = errors(schema, {"type": "link"}, "field")
    assert [e.message for e in found] == ["'to' is a required property"]


def test_a_subform_cannot_nest_subforms_or_rollups(schema: dict[str, Any]) -> None:
    nested = {"type": "subform", "fields": {"inner": {"type": "subform", "fields": {}}}}
    assert paths(schema, nested, "field") == {"/fields/inner/type"}


def test_defaults_are_typed_by_the_value_kind(schema: dict[str, Any]) -> None:
    assert errors(schema, {"type": "boolean", "default": "=true"}, "field") == []
    assert paths(schema, {"type": "boolean", "default": "yes"}, "field") == {"/default"}
    assert paths(schema, {"type": "money", "default": "100"}, "field") == {"/default"}


TRIGGER_EXAMPLES: dict[str, dict[str, Any]] = {
    "record_created": {"entity": "deal"},
    "record_updated": {"entity": "deal", "changed": ["stage"], "to": {"stage": "won"}},
    "record_deleted": {"entity": "deal"},
    "transitioned": {"entity": "deal", "action": "approve", "from": "review", "to": ["won"]},
    "approval": {"entity": "contract", "event": "overdue", "state": "review"},
    "threshold": {"entity": "target", "field": "attainment", "value": 1, "direction": "up"},
    "date": {"entity": "contract", "field": "end_date", "offset": "-30d", "at": "09:00"},
    "schedule": {"cron": "0 9 * * mon", "timezone": "Asia/Shanghai"},
    "manual": {"entity": "deal", "label": "Recalculate", "roles": ["sales_manager"]},
    "membership": {"change": "joined", "team": "=event.member.manager.team"},
}

ACTION_EXAMPLES: dict[str, dict[str, Any]] = {
    "set": {"values": {"stage": "won"}},
    "create": {"entity": "task", "values": {"title": "=name"}, "as": "task"},
    "update": {"entity": "deal", "where": "customer == this.customer", "values": {"x": 1}},
    "delete": {"entity": "task", "where": "done"},
    "transition": {"action": "approve", "comment": "auto"},
    "for_each": {"entity": "deal", "as": "d", "actions": [{"type": "set", "values": {"a": 1}}]},
    "lookup": {"table": "tiers", "inputs": {"amount": "=amount"}, "as": "tier"},
    "allocate": {"total": "=amount", "entity": "target", "field": "amount", "unit": 100},
    "notify": {"to": [{"type": "user_field", "field": "owner"}], "channel": "email", "title": "Hi"},
    "webhook": {"url": "https://example.com/hook", "method": "PUT", "body": {"id": "{{ id }}"}},
    "assign_round_robin": {"field": "owner", "team": 3},
}


def test_the_trigger_and_action_examples_cover_every_type(registry: Registry) -> None:
    assert set(TRIGGER_EXAMPLES) == set(registry.trigger_types)
    assert set(ACTION_EXAMPLES) == set(registry.action_types)


@pytest.mark.parametrize(
    ("family", "name"),
    [("trigger", n) for n in TRIGGER_EXAMPLES] + [("action", n) for n in ACTION_EXAMPLES],
)
def test_each_trigger_and_action_type_accepts_its_keys_and_no_other(
    schema: dict[str, Any], family: str, name: str
) -> None:
    example = (TRIGGER_EXAMPLES if family == "trigger" else ACTION_EXAMPLES)[name]
    assert errors(schema, {"type": name, **example}, family) == []
    found = errors(schema, {"type": name, **example, "bogus": 1}, family)
    assert [(e.validator, list(e.absolute_path)) for e in found] == [("additionalProperties", [])]


def test_nested_actions_are_checked_as_actions(schema: dict[str, Any]) -> None:
    action = {"type": "for_each", "entity": "deal", "actions": [{"type": "sett"}]}
    assert paths(schema, action, "action") == {"/actions/0/type"}


def test_notify_channels_come_from_the_registry(schema: dict[str, Any]) -> None:
    assert schema["definitions"]["channel_name"]["enum"] == [
        "inbox",
        "email",
        "webhook",
        "dingtalk",
        "feishu",
        "wecom",
    ]
    action = {
        "type": "notify",
        "to": [{"type": "role", "role": "x"}],
        "title": "t",
        "channel": "fax",
    }
    assert paths(schema, action, "action") == {"/channel"}


APPROVER_EXAMPLES = [
    {"type": "role", "role": "finance"},
    {"type": "user_field", "field": "owner"},
    {"type": "manager"},
    {"type": "manager_chain", "of": "owner", "levels": 2},
    {"type": "users", "users": ["director"]},
    {"type": "expression", "expr": "owner.manager"},
]
VIEW_EXAMPLES = [
    {"type": "table", "columns": ["a"], "sort": ["-a"], "page_size": 20, "default": True},
    {"type": "kanban", "group_by": "stage", "card": ["name"]},
    {"type": "calendar", "date_field": "next_date", "title_field": "summary"},
]
WIDGET_EXAMPLES = [
    {"type": "number", "id": "won", "entity": "deal", "aggregate": "sum", "field": "amount"},
    {"type": "bar", "id": "by_owner", "entity": "deal", "group_by": "owner"},
    {
        "type": "line",
        "id": "trend",
        "entity": "deal",
        "group_by": {"field": "d", "bucket": "month"},
    },
    {"type": "pie", "id": "mix", "entity": "deal", "group_by": "stage", "width": 6},
    {"type": "funnel", "id": "funnel", "entity": "deal", "group_by": "stage"},
    {"type": "gauge", "id": "g", "entity": "target", "field": "actual", "max": "=100"},
    {"type": "table", "id": "t", "entity": "deal", "columns": ["name"], "limit": 10},
    {"type": "leaderboard", "id": "top", "entity": "target", "group_by": "user", "sort": "-value"},
]
STEP_EXAMPLES = [
    {"type": "create", "user": "rep", "entity": "customer", "values": {"name": "ACME"}, "as": "a"},
    {"type": "update", "user": "rep", "record": "a", "values": {"name": "B"}},
    {"type": "delete", "record": "a"},
    {"type": "action", "user": "manager_east", "record": "c", "action": "approve"},
    {"type": "advance_clock", "by": "49h"},
    {"type": "run_worker"},
    {"type": "expect", "record": "c", "values": {"status": "director"}},
    {"type": "expect", "entity": "deal", "where": "stage == 'won'", "count": 2},
    {"type": "expect_notification", "user": "director", "contains": "overdue"},
    {
        "type": "expect_error",
        "user": "rep",
        "record": "c",
        "action": "approve",
        "code": "forbidden",
    },
]


@pytest.mark.parametrize(
    ("definition", "example"),
    [("approver", e) for e in APPROVER_EXAMPLES]
    + [("view", e) for e in VIEW_EXAMPLES]
    + [("widget", e) for e in WIDGET_EXAMPLES]
    + [("step", e) for e in STEP_EXAMPLES],
    ids=lambda v: v if isinstance(v, str) else v["type"],
)
def test_each_fixed_family_type_accepts_its_keys_and_no_other(
    schema: dict[str, Any], definition: str, example: dict[str, Any]
) -> None:
    assert errors(schema, example, definition) == []
    found = errors(schema, {**example, "bogus": 1}, definition)
    assert [(e.validator, list(e.absolute_path)) for e in found] == [("additionalProperties", [])]


def test_family_examples_cover_every_type(schema: dict[str, Any]) -> None:
    for definition, examples in (
        ("approver", APPROVER_EXAMPLES),
        ("view", VIEW_EXAMPLES),
        ("widget", WIDGET_EXAMPLES),
        ("step", STEP_EXAMPLES),
    ):
        enum = schema["definitions"][definition]["properties"]["type"]["enum"]
        assert set(enum) == {e["type"] for e in examples}, definition


def test_an_expect_step_needs_values_or_a_count(schema: dict[str, Any]) -> None:
    assert [e.message for e in errors(schema, {"type": "expect", "record": "c"}, "step")] == [
        "'values' is a required property"
    ]
    messages = {e.message for e in errors(schema, {"type": "expect", "where": "x"}, "step")}
    assert messages == {"'entity' is a required property", "'count' is a required property"}


# ---------------------------------------------------------------- plugins


def test_the_rating_plugin_options_are_validated(schema: dict[str, Any]) -> None:
    document = {"entity": "review", "fields": {"score": {"type": "rating", "max": 20}}}
    found = errors(schema, document, "entity_file")
    assert [(e.validator, list(e.absolute_path)) for e in found] == [
        ("maximum", ["fields", "score", "max"])
    ]
    assert errors(schema, {**document, "fields": {"score": {"type": "rating", "max": 7}}}) == []


def test_plugin_settings_are_validated_by_the_plugin_schema(schema: dict[str, Any]) -> None:
    good = {"app": "crm", "settings": {"rating": {"icon": "heart"}, "email": {"from": "a@b.cn"}}}
    assert errors(schema, good, "app_file") == []
    bad = {"app": "crm", "settings": {"rating": {"icon": "skull", "size": 3}, "fax": {}}}
    assert paths(schema, bad, "app_file") == {
        "/settings",
        "/settings/rating",
        "/settings/rating/icon",
    }


def test_channels_without_settings_take_no_settings_key(schema: dict[str, Any]) -> None:
    properties = schema["definitions"]["settings"]["properties"]
    # the robots' settings are their plugins' (`settings.dingtalk` …), named once
    assert set(properties) == {"email", "webhook", "rating", "dingtalk", "feishu", "wecom"}


def test_a_plugin_action_type_gets_a_branch_and_nested_actions(registry: Registry) -> None:
    repeat = ActionType(
        "repeat",
        "Run actions several times.",
        {
            "times": {"type": "integer", "minimum": 1, "description": "How many times."},
            "then": {"description": "The actions repeated."},
        },
        required_options=("times",),
        plugin="loops",
        nested_actions=("then",),
    )
    extended = Registry(
        **{
            **registry.__dict__,
            "action_types": MappingProxyType({**registry.action_types, "repeat": repeat}),
        }
    )
    schema = build_schema(extended)
    branch = schema["definitions"]["action_repeat"]
    assert branch["required"] == ["type", "times"]
    assert branch["properties"]["then"] == {
        "$ref": "#/definitions/actions",
        "description": "The actions repeated.",
    }
    assert "(plugin `loops`)" in branch["description"]
    action = {"type": "repeat", "times": 0, "then": [{"type": "nope"}]}
    assert paths(schema, action, "action") == {"/times", "/then/0/type"}


# ---------------------------------------------------------------- ids and maps


def test_map_keys_that_are_ids_are_checked(schema: dict[str, Any]) -> None:
    document = {
        "entity": "deal",
        "fields": {"Amount": {"type": "money"}, "x" * 49: {"type": "text"}},
    }
    found = errors(schema, document, "entity_file")
    assert {(e.validator, e.instance, tuple(e.absolute_path)) for e in found} == {
        ("pattern", "Amount", ("fields",)),
        ("maxLength", "x" * 49, ("fields",)),
    }


def test_admin_as_a_role_is_left_to_the_reference_check(schema: dict[str, Any]) -> None:
    # R113 says why `admin` cannot be declared; the schema's own error could only say "not"
    assert paths(schema, {"app": "crm", "roles": {"admin": {}}}, "app_file") == set()


def test_labels_are_strings_or_locale_maps(schema: dict[str, Any]) -> None:
    assert errors(schema, {"en": "Deal", "zh-Hans": "商机"}, "label") == []
    assert errors(schema, "Deal", "label") == []
    assert errors(schema, {"EN": "Deal"}, "label") != []
    assert errors(schema, 3, "label") != []


# ---------------------------------------------------------------- the tour of docs/language.md

LANGUAGE_TOUR = """
app: sales_crm
title: {en: Sales CRM, zh: 销售管理}
version: 1
locales: [zh, en]
currency: CNY
timezone: Asia/Shanghai
week_start: monday
roles:
  sales_rep:      {label: {en: Sales rep, zh: 销售}}
  sales_manager:  {label: {en: Sales manager, zh: 销售经理}, inherits: [sales_rep]}
includes: [entities/*.yaml, rules/*.yaml]
plugins: [rating]
settings: {rating: {icon: star, color: orange}}
---
automation: notify_deal_won
label: {en: Tell the owner when a deal is won, zh: 赢单通知}
enabled: true
mode: queued
triggers:
  - {type: transitioned, entity: deal, to: won}
conditions:
  - "amount > 0"
actions:
  - type: notify
    to: [{type: user_field, field: owner}]
    channel: inbox
    title: {en: "Deal won: {{ record.name }}", zh: "赢单：{{ record.name }}"}
    body: "..."
---
table: approval_threshold
label: {en: Director approval threshold, zh: 总监审批阈值}
hit_policy: first
inputs:
  - {name: amount, type: money}
outputs:
  - {name: director_from, type: money}
rules:
  - {when: {amount: "< 1000000"}, then: {director_from: 500000}}
  - {when: {amount: "-"},          then: {director_from: 300000}}
---
dashboard: sales_overview
label: {en: Sales overview, zh: 销售概览}
roles: [sales_director, sales_manager]
widgets:
  - {type: number, id: won_month, title: Won, entity: deal, aggregate: sum, field: amount,
     filter: "stage == 'won' and close_date >= start_of_month(today())"}
  - {type: bar, id: by_owner, entity: deal, aggregate: sum, field: amount, group_by: owner}
  - {type: line, id: trend, entity: deal, aggregate: sum, field: amount,
     group_by: {field: close_date, bucket: month}}
  - {type: funnel, id: funnel, entity: deal, group_by: stage}
  - {type: leaderboard, id: top, entity: target, field: attainment, group_by: user, limit: 10}
---
suite: contract_approval
label: Contract approval
scenarios:
  - name: big contract goes to the director
    clock: "2026-03-02T09:00:00+08:00"
    steps:
      - {type: create, user: rep_east_1, entity: customer, values: {name: ACME}, as: acme}
      - {type: create, user: rep_east_1, entity: contract,
         values: {customer: "=acme", amount: 800000}, as: c}
      - {type: action, user: rep_east_1, record: c, action: submit}
      - {type: action, user: manager_east, record: c, action: approve}
      - {type: expect, record: c, values: {status: director}}
      - {type: advance_clock, by: 49h}
      - {type: expect_notification, user: director, contains: "overdue"}
      - {type: expect_error, user: rep_west_1, record: c, action: approve, code: forbidden}
"""

CONTRACT = Path(__file__).resolve().parent / "schema_contract.yaml"


@pytest.mark.parametrize("index", range(5))
def test_the_examples_of_the_language_tour_are_valid(schema: dict[str, Any], index: int) -> None:
    document = list(yaml.safe_load_all(LANGUAGE_TOUR))[index]
    assert [e.message for e in errors(schema, document)] == []


CONTRACT = """
entity: contract
label: {en: Contract, zh: 合同}
plural: {en: Contracts, zh: 合同}
icon: file-text
title_field: number
fields:
  number:   {type: sequence, pattern: "HT-{yyyy}-{0000}", label: {en: No., zh: 编号}}
  customer: {type: link, to: customer, required: true, on_delete: restrict}
  deal:     {type: link, to: deal, filter: "customer == this.customer"}
  owner:    {type: user, default: "=me()", required: true}
  amount:   {type: money, required: true, min: 0}
  file:     {type: attachment, accept: [.pdf], max_size_mb: 20}
  lines:
    type: subform
    fields:
      product: {type: text, required: true}
      qty:     {type: integer, min: 1}
      price:   {type: money}
  total:    {type: formula, expr: "sum(lines.price)", result: money}
  reason:   {type: long_text, required_if: "status == 'rejected'"}
  end_date: {type: date, min: "=today()"}
  approved_on: {type: date}
validations:
  - rule: "end_date is None or end_date >= start_date"
    message: {en: End must not be before start, zh: 结束日期不能早于开始日期}
    fields: [end_date]
indexes:
  - [owner, status]
  - {fields: [number], unique: true}
permissions:
  sales_rep:
    create: true
    read: own
    update: own
    delete: none
    export: none
    fields: {cost: none, discount: read}
  sales_manager: {create: true, read: subteams, update: subteams}
  finance: {read: all}
  auditor: {read: "=amount > 100"}
workflow:
  field: status
  label: {en: Contract approval, zh: 合同审批}
  states:
    draft:     {initial: true, label: {en: Draft, zh: 草稿}, editable: [customer, amount, file]}
    review:
      label: {en: Manager review, zh: 经理审批}
      approval:
        approvers: [{type: manager, of: owner}]
        mode: any
        allow_self_approval: false
        skip_if_approved: true
        allow: [transfer, add_approver, recall]
        due: {after: 48h}
        on_overdue: remind
      cc: [{type: role, role: finance}]
    director:
      approval:
        approvers: [{type: role, role: sales_director}]
        mode: all
        due: {field: end_date, offset: -1d}
    finance:
      approval: {approvers: [{type: role, role: finance}], mode: n_of_m, count: 1}
      on_enter: [{type: notify, to: [{type: role, role: finance}], title: New contract}]
    approved:  {final: true, color: green, editable: "*"}
    rejected:  {final: true, color: red}
  transitions:
    submit:    {from: draft, to: review, roles: [sales_rep]}
    approve:
      - {from: review, to: director, if: "amount > 500000"}
      - {from: review, to: finance}
      - {from: director, to: finance}
      - {from: finance, to: approved, set: {approved_on: "=today()"}}
    reject:    {from: [review, director, finance], to: rejected, comment: required}
    send_back: {from: [review, director, finance], to: [draft, review, director], comment: required}
    recall:    {from: "*", to: draft, style: danger, confirm: "Recall it?"}
  state_map: {pending: review}
forms:
  default:
    label: Main
    for: [create, edit, view]
    sections:
      - title: {en: Basics, zh: 基本信息}
        columns: 2
        fields: [customer, deal, amount, owner]
        visible_if: "amount > 0"
      - title: {en: Lines, zh: 明细}
        fields: [lines]
  quick_create: {for: [create], sections: [{fields: [customer, amount]}]}
views:
  all:      {type: table, label: All, columns: [number, customer, amount, status],
             sort: [-created_at], default: true}
  mine:     {type: table, filter: "owner == me()", columns: [number, amount]}
  board:    {type: kanban, group_by: status, card: [number, customer, amount]}
  calendar: {type: calendar, date_field: end_date, title_field: number}
"""


def test_the_contract_entity_of_the_language_tour_is_valid(schema: dict[str, Any]) -> None:
    assert [e.message for e in errors(schema, yaml.safe_load(CONTRACT))] == []


@pytest.mark.parametrize(
    ("replace", "by", "path"),
    [
        ("mode: all", "mode: most", "/workflow/states/director/approval/mode"),
        ("due: {after: 48h}", "due: {after: 2 days}", "/workflow/states/review/approval/due/after"),
        (
            "due: {field: end_date, offset: -1d}",
            "due: {field: end_date, after: 1d}",
            "/workflow/states/director/approval/due",
        ),
        (
            "to: rejected, comment: required",
            "to: rejected, comment: always",
            "/workflow/transitions/reject/comment",
        ),
        (
            "- {from: review, to: finance}",
            "- {from: review, too: finance}",
            "/workflow/transitions/approve/1",
        ),
        ("read: own", "read: mine", "/permissions/sales_rep/read"),
        ("columns: 2", "columns: 5", "/forms/default/sections/0/columns"),
        ("group_by: status", "group_by: Status", "/views/board/group_by"),
        (
            "type: manager, of: owner",
            "type: boss, of: owner",
            "/workflow/states/review/approval/approvers/0/type",
        ),
    ],
)
def test_mistakes_in_the_contract_are_reported_where_they_are(
    schema: dict[str, Any], replace: str, by: str, path: str
) -> None:
    assert CONTRACT.count(replace) == 1
    document = yaml.safe_load(CONTRACT.replace(replace, by))
    assert paths(schema, document) == {path}
