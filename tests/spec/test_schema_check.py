"""validate_documents: every JSON Schema error as an S-code diagnostic, located and worded.

The hand-written schema below follows the style of `engine.spec.schema.build_schema`
(draft-07, `type` discriminators as `allOf` of `if/then`, `additionalProperties: false`,
`<kind>_file` definitions), which pins the mapping independently of the real schema; the
tests at the end run the real schema over the sales template.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import Diagnostic
from engine.spec.document import Document, SourceIndex
from engine.spec.folder import load_app_folder
from engine.spec.schema_check import (
    SchemaValidators,
    check_documents,
    validate_documents,
    validators_for,
)
from engine.spec.schema_words import pattern_words
from engine.spec.yaml_loader import parse_yaml

ROOT = Path(__file__).resolve().parent.parent.parent
ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 48}
FIELD_TYPES = ["text", "long_text", "number", "integer", "money", "percent", "date"]
FIELD_TYPES += ["datetime", "boolean", "select", "link", "user", "team", "formula"]


def variant(name: str, own: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    common = {"label": {"$ref": "#/definitions/label"}, "required": {"type": "boolean"}}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"type": {"const": name}, **common, **own},
        "required": ["type", *(required or [])],
    }


SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://example.test/app.schema.json",
    "definitions": {
        "id": ID,
        "label": {
            "type": ["string", "object"],
            "propertyNames": {"pattern": "^[a-z]{2}$"},
            "additionalProperties": {"type": "string"},
            "minProperties": 1,
        },
        "scope": {
            "anyOf": [
                {"type": "string", "enum": ["none", "own", "team", "all"]},
                {"type": "string", "pattern": "^=.+"},
            ]
        },
        "field": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": FIELD_TYPES}},
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                    "then": {"$ref": f"#/definitions/field_{name}"},
                }
                for name in ("text", "number", "money", "link")
            ],
        },
        "field_text": variant("text", {"max_length": {"type": "integer", "minimum": 1}}),
        "field_number": variant(
            "number",
            {"min": {"type": "number"}, "precision": {"type": "integer", "maximum": 10}},
        ),
        "field_money": variant("money", {"min": {"type": "number"}}),
        "field_link": variant(
            "link",
            {
                "to": {"$ref": "#/definitions/id"},
                "on_delete": {"enum": ["restrict", "set_null", "cascade"]},
            },
            ["to"],
        ),
        "app_file": {
            "type": "object",
            "additionalProperties": False,
            "required": ["app"],
            "properties": {
                "app": {"$ref": "#/definitions/id"},
                "title": {"$ref": "#/definitions/label"},
                "locales": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "week_start": {"enum": ["monday", "sunday"]},
                "version": {"type": "integer", "minimum": 1},
                "includes": {"type": "array", "items": {"type": "string"}},
                "roles": {"type": "object", "propertyNames": ID, "maxProperties": 3},
            },
        },
        "entity_file": {
            "type": "object",
            "additionalProperties": False,
            "required": ["entity", "fields"],
            "properties": {
                "entity": {"$ref": "#/definitions/id"},
                "label": {"$ref": "#/definitions/label"},
                "icon": {"type": "string"},
                "fields": {
                    "type": "object",
                    "propertyNames": {"$ref": "#/definitions/id"},
                    "additionalProperties": {"$ref": "#/definitions/field"},
                },
                "read": {"$ref": "#/definitions/scope"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "due": {
                    "type": "object",
                    "properties": {"after": {"type": "string"}, "field": {"type": "string"}},
                    "if": {"required": ["field"]},
                    "then": {"not": {"required": ["after"]}},
                },
            },
        },
        "automation_file": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"automation": {"$ref": "#/definitions/id"}},
        },
    },
}


def check(text: str, kind: str = "entity", schema: dict[str, Any] = SCHEMA) -> list[Diagnostic]:
    data, source, problems = parse_yaml(text, f"{kind}.yaml")
    assert problems == []
    document = Document(f"{kind}.yaml", kind, None, data, source)
    return validate_documents([document], SourceIndex({document.file: source}), schema)


def where(d: Diagnostic) -> tuple[str, int, int, str]:
    return d.code, d.line, d.col, d.pointer


# -- clean documents ----------------------------------------------------------------------


def test_valid_documents_give_nothing() -> None:
    text = (
        "entity: deal\nlabel: {en: Deal, zh: 商机}\nfields:\n"
        "  amount: {type: money, min: 0}\n  customer: {type: link, to: customer}\n"
        "  notes: {type: date}\nread: '=owner == me()'\n"
    )
    assert check(text) == []
    assert check("app: crm\nlocales: [en, zh]\nweek_start: monday\n", "app") == []


# -- S100 unknown keys ---------------------------------------------------------------------


def test_unknown_key_in_a_typed_field_points_at_the_key() -> None:
    text = "entity: deal\nfields:\n  p:\n    type: number\n    precison: 2\n"
    (problem,) = check(text)
    assert where(problem) == ("S100", 5, 5, "/fields/p/precison")
    assert problem.message == "unknown key 'precison' for type 'number'"
    assert problem.hint == "did you mean 'precision'?"


def test_every_unknown_key_is_reported() -> None:
    text = "entity: deal\nlable: x\nfields: {a: {type: text, maxlength: 5, colour: red}}\n"
    problems = check(text)
    assert [where(d) for d in problems] == [
        ("S100", 2, 1, "/lable"),
        ("S100", 3, 26, "/fields/a/maxlength"),
        ("S100", 3, 40, "/fields/a/colour"),
    ]
    assert problems[0].hint == "did you mean 'label'?"
    assert problems[1].hint == "did you mean 'max_length'?"


def test_unknown_key_without_a_close_name_lists_the_allowed_keys() -> None:
    (problem,) = check("automation: a\nzzz: 1\n", "automation")
    assert problem.hint == "allowed keys: automation"


# -- S101 missing keys ---------------------------------------------------------------------


def test_missing_required_key_points_at_the_mapping() -> None:
    text = "entity: deal\nfields:\n  customer:\n    type: link\n    on_delete: restrict\n"
    (problem,) = check(text)
    assert where(problem) == ("S101", 4, 5, "/fields/customer")
    assert problem.message == "missing required key 'to' for type 'link'"


def test_missing_discriminator_gives_one_error_not_every_branch() -> None:
    problems = check("entity: deal\nfields:\n  x: {label: X}\n")
    assert [(d.code, d.pointer, d.message) for d in problems] == [
        ("S101", "/fields/x", "missing required key 'type'")
    ]


def test_missing_keys_of_the_document() -> None:
    problems = check("entity: deal\n")
    assert [where(d) for d in problems] == [("S101", 1, 1, "")]
    assert problems[0].message == "missing required key 'fields'"


# -- S102 values not allowed ----------------------------------------------------------------


def test_bad_field_type_lists_the_types_and_suggests_one() -> None:
    (problem,) = check("entity: deal\nfields:\n  amount: {type: mony, min: 0}\n")
    assert where(problem) == ("S102", 3, 18, "/fields/amount/type")
    assert problem.message == (
        "'mony' is not a valid field type (expected one of: text, long_text, number, "
        "integer, money, percent, date, datetime, boolean, select, link, user, …)"
    )
    assert problem.hint == "did you mean 'money'?"


def test_bad_enum_value_of_a_plain_key() -> None:
    text = "entity: d\nfields:\n  c: {type: link, to: customer, on_delete: restrct}\n"
    (problem,) = check(text)
    assert where(problem) == ("S102", 3, 44, "/fields/c/on_delete")
    assert problem.message == (
        "'restrct' is not a valid value for 'on_delete' "
        "(expected one of: restrict, set_null, cascade)"
    )
    assert problem.hint == "did you mean 'restrict'?"


def test_enum_in_an_alternative_picks_the_branch_of_that_type() -> None:
    (problem,) = check("entity: d\nfields: {}\nread: owns\n")
    assert where(problem) == ("S102", 3, 7, "/read")
    assert problem.hint == "did you mean 'own'?"


# -- S103 types ------------------------------------------------------------------------------


def test_wrong_type_names_both_kinds() -> None:
    text = "entity: d\nfields:\n  a: {type: text, required: yes please}\n"
    (problem,) = check(text)
    assert where(problem) == ("S103", 3, 29, "/fields/a/required")
    assert problem.message == "expected true or false, got 'yes please'"


def test_number_where_text_is_expected_suggests_quoting() -> None:
    (problem,) = check("entity: d\nfields: {}\nicon: 5\n")
    assert problem.message == "expected text, got 5"
    assert problem.hint == "quote the value to make it text: '5'"


def test_boolean_where_text_is_expected_explains_yaml_booleans() -> None:
    (problem,) = check("entity: d\nfields: {}\nicon: yes\n")
    assert problem.message == "expected text, got true"
    assert problem.hint is not None and "yes/no" in problem.hint


def test_text_where_a_list_is_expected_suggests_a_list() -> None:
    (problem,) = check("app: crm\nlocales: en\n", "app")
    assert where(problem) == ("S103", 2, 10, "/locales")
    assert problem.message == "expected a list, got 'en'"
    assert problem.hint == "write a list: [en]"


def test_label_of_a_wrong_type_and_label_with_a_wrong_entry() -> None:
    problems = check("entity: d\nfields: {}\nlabel: [a]\n")
    assert [(d.code, d.message) for d in problems] == [
        ("S103", "expected text or a mapping, got a list")
    ]
    problems = check("entity: d\nfields: {}\nlabel: {en: 5}\n")
    assert [where(d) for d in problems] == [("S103", 3, 13, "/label/en")]


def test_alternatives_that_all_reject_the_type() -> None:
    (problem,) = check("entity: d\nfields: {}\nread: 5\n")
    assert where(problem) == ("S103", 3, 7, "/read")
    assert problem.message == "expected text, got 5"


def test_null_value_reads_as_nothing() -> None:
    (problem,) = check("entity: d\nfields:\n")
    assert where(problem) == ("S103", 2, 8, "/fields")
    assert problem.message == "expected a mapping, got nothing"


# -- S104 patterns ---------------------------------------------------------------------------


def test_id_pattern_is_explained_as_snake_case() -> None:
    (problem,) = check("entity: DealAmount\nfields: {}\n")
    assert where(problem) == ("S104", 1, 9, "/entity")
    assert problem.message == (
        "'DealAmount' is not a valid id: ids are snake_case "
        "(lowercase letters, digits and _, starting with a letter)"
    )
    assert problem.hint == "did you mean 'deal_amount'?"


def test_id_pattern_on_a_mapping_key_points_at_the_key() -> None:
    text = "entity: d\nfields:\n  ok: {type: date}\n  Due Date: {type: date}\n"
    (problem,) = check(text)
    assert where(problem) == ("S104", 4, 3, "/fields/Due Date")
    assert problem.hint == "did you mean 'due_date'?"


def test_a_pattern_is_never_shown_as_a_regex() -> None:
    (problem,) = check("entity: d\nfields: {}\nlabel: {eng: x}\n")
    assert where(problem) == ("S104", 3, 9, "/label/eng")
    assert problem.message == "'eng' does not have the required form"


def test_a_pattern_of_the_app_schema_is_named_by_its_form() -> None:
    schema = {"type": "string", "pattern": "^[+-]?[0-9]+(m|h|d|w)$"}
    assert pattern_words("3 days", schema["pattern"], schema) == (
        "'3 days' is not a duration like 30m, 48h, 3d or 2w (a whole number and m, h, d "
        "or w, with an optional sign)",
        None,
    )


def test_an_unknown_pattern_is_described_by_its_key() -> None:
    schema = {"type": "string", "pattern": "^x+$", "description": "Only x, one or more."}
    message, _ = pattern_words("y", "^x+$", schema)
    assert message == "'y' does not have the required form: Only x, one or more"


def test_a_number_or_expression_key_says_both() -> None:
    schema = {"type": ["number", "string"], "pattern": "^="}
    assert pattern_words("1,000", "^=", schema) == (
        "expected a number or an =expression, got '1,000'",
        "write 1000: numbers take no thousands separator",
    )


def test_a_number_with_thousands_separators_gets_a_hint() -> None:
    (problem,) = check("app: a\nversion: 1,000\n", "app")
    assert where(problem) == ("S103", 2, 10, "/version")
    assert problem.hint == "write 1000: numbers take no thousands separator"


def test_an_invalid_regular_expression_is_named_with_the_reason() -> None:
    schema = {"definitions": {"entity_file": {"properties": {"p": {"format": "regex"}}}}}
    (problem,) = check("entity: d\np: '[a-z'\n", schema=schema)
    assert where(problem) == ("S104", 2, 4, "/p")
    assert problem.message == (
        "'[a-z' is not a valid regular expression: unterminated character set at position 0"
    )


# -- S105–S109 limits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "expected", "message"),
    [
        (
            "app: a\nversion: 0\n",
            "app",
            ("S105", 2, 10, "/version"),
            "0 is too small: the minimum is 1",
        ),
        (
            "entity: d\nfields: {n: {type: number, precision: 11}}\n",
            "entity",
            ("S105", 2, 39, "/fields/n/precision"),
            "11 is too large: the maximum is 10",
        ),
        (
            f"entity: {'a' * 49}\nfields: {{}}\n",
            "entity",
            ("S106", 1, 9, "/entity"),
            f"'{'a' * 49}' is too long: at most 48 characters, not 49",
        ),
        (
            "app: a\nlocales: []\n",
            "app",
            ("S107", 2, 10, "/locales"),
            "too few items: at least 1 needed, not 0",
        ),
        (
            "entity: d\nfields: {}\ntags: [a, b, c]\n",
            "entity",
            ("S107", 3, 7, "/tags"),
            "too many items: at most 2 allowed, not 3",
        ),
        (
            "app: a\nlocales: [en, zh, en]\n",
            "app",
            ("S108", 2, 10, "/locales"),
            "the list repeats 'en'",
        ),
        (
            "app: a\nroles: {a: 1, b: 2, c: 3, d: 4}\n",
            "app",
            ("S109", 2, 8, "/roles"),
            "too many keys: at most 3 allowed, not 4",
        ),
        (
            "entity: d\nfields: {}\nlabel: {}\n",
            "entity",
            ("S109", 3, 8, "/label"),
            "too few keys: at least 1 needed, not 0",
        ),
    ],
)
def test_limits(text: str, kind: str, expected: tuple[str, int, int, str], message: str) -> None:
    (problem,) = check(text, kind)
    assert where(problem) == expected
    assert problem.message == message


def test_keys_that_exclude_each_other_point_at_the_extra_key() -> None:
    (problem,) = check("entity: d\nfields: {}\ndue: {after: 48h, field: close}\n")
    assert where(problem) == ("S110", 3, 7, "/due/after")
    assert problem.message == "'after' cannot be used together with 'field'"
    assert problem.hint == "remove 'after'"


def test_value_fitting_several_alternatives() -> None:
    schema = {"definitions": {"entity_file": {"oneOf": [{"type": "object"}, {"required": []}]}}}
    (problem,) = check("x: 1\n", "entity", schema)
    assert (problem.code, problem.pointer) == ("S110", "")
    assert (
        problem.message == "a mapping fits more than one of the allowed forms; make it unambiguous"
    )


def test_other_keywords_fall_back_to_s110() -> None:
    schema = {"definitions": {"entity_file": {"properties": {"x": {"contains": {"const": 1}}}}}}
    (problem,) = check("x: [2]\n", "entity", schema)
    assert where(problem) == ("S110", 1, 4, "/x")
    # The detail in brackets is jsonschema's own wording.
    assert problem.message.startswith("a list is not allowed here (")
    assert "[2]" in problem.message


# -- every error, positions, robustness --------------------------------------------------------


def test_all_errors_of_all_documents_are_reported_in_unicode_crlf_text() -> None:
    text = "entity: 商机\r\nlabel: {zh: 商机, en: 5}\r\nfields: {a: {type: txt}}\r\nfoo: 1\r\n"
    problems = check(text)
    assert sorted(where(d) for d in problems) == [
        ("S100", 4, 1, "/foo"),
        ("S102", 3, 20, "/fields/a/type"),
        ("S103", 2, 21, "/label/en"),
        ("S104", 1, 9, "/entity"),
    ]


def test_the_same_error_twice_is_reported_once() -> None:
    # The anchor's bad value appears at two pointers, but each pointer is one diagnostic.
    text = "entity: d\nfields:\n  a: &f {type: text, bad: 1}\n  b: *f\n"
    problems = check(text)
    assert [where(d) for d in problems] == [
        ("S100", 3, 22, "/fields/a/bad"),
        ("S100", 3, 22, "/fields/b/bad"),
    ]
    assert len(set(problems)) == len(problems)


def test_kind_without_a_definition_is_s199() -> None:
    (problem,) = check("table: t\n", "table")
    assert (problem.code, problem.file) == ("S199", "table.yaml")


def test_broken_reference_in_the_schema_is_s199_not_a_crash() -> None:
    schema = {"definitions": {"entity_file": {"$ref": "#/definitions/nowhere"}}}
    (problem,) = check("entity: d\n", "entity", schema)
    assert problem.code == "S199"
    assert "/definitions/nowhere" in problem.message


def test_validators_are_built_once_per_schema() -> None:
    first = validators_for(SCHEMA)
    assert validators_for(SCHEMA) is first
    copy = dict(SCHEMA)
    assert validators_for(copy) is not first
    assert isinstance(first, SchemaValidators)
    assert first.for_kind("entity") is not None and first.for_kind("suite") is None


# -- mutated folders never crash ----------------------------------------------------------------

SMALL_APP = {
    "app.yaml": "app: crm\ntitle: {en: CRM, zh: 客户}\nlocales: [en, zh]\nversion: 1\n",
    "entities/deal.yaml": (
        "entity: deal\nlabel: 商机\nfields:\n  amount: {type: money, min: 0}\n"
        "  customer:\n    type: link\n    to: customer\n    on_delete: restrict\n"
        "  note: |\n    x\nread: own\n"
    ),
}
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
ALPHABET = ":-[]{}'\"\t\n\r #&*!|>?,%@`\\=<a1中\x00"
mutation = st.tuples(
    st.sampled_from(["delete", "duplicate", "insert", "drop_line", "copy_line", "new_line"]),
    st.integers(min_value=0, max_value=10_000),
    st.text(alphabet=ALPHABET, min_size=1, max_size=4),
)


def mutate(text: str, steps: list[tuple[str, int, str]]) -> str:
    for op, at, payload in steps:
        lines = text.split("\n")
        i, n = at % (len(text) + 1), at % len(lines)
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "duplicate":
            text = text[:i] + text[i : i + 1] + text[i:]
        elif op == "insert":
            text = text[:i] + payload + text[i:]
        elif op == "drop_line":
            text = "\n".join(lines[:n] + lines[n + 1 :])
        elif op == "copy_line":
            text = "\n".join(lines[: n + 1] + lines[n:])
        else:
            text = "\n".join([*lines[:n], payload, *lines[n:]])
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file=st.sampled_from(sorted(SMALL_APP)),
    steps=st.lists(mutation, min_size=1, max_size=4),
)
def test_mutated_folders_always_give_positioned_diagnostics(
    file: str, steps: list[tuple[str, int, str]]
) -> None:
    files = dict(SMALL_APP)
    files[file] = mutate(files[file], steps)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8", newline="")
        folder = load_app_folder(root)
        problems = folder.diagnostics + validate_documents(folder.documents, folder.sources, SCHEMA)
    for problem in problems:
        assert re.fullmatch(r"[YS]1\d\d", problem.code), problem
        lines = _BREAK.split(files[problem.file].removeprefix("\ufeff"))
        assert 1 <= problem.line <= len(lines), problem
        assert 1 <= problem.col <= len(lines[problem.line - 1]) + 1, problem
        assert problem.message and "Traceback" not in problem.message


# -- the real schema ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_schema() -> dict[str, Any]:
    from engine.plugins import default_registry
    from engine.spec.schema import build_schema

    registry, _ = default_registry(ROOT)
    return build_schema(registry)


def test_sales_template_is_clean_under_the_real_schema(real_schema: dict[str, Any]) -> None:
    folder = load_app_folder(ROOT / "apps" / "sales_crm")
    assert folder.diagnostics == []
    assert validate_documents(folder.documents, folder.sources, real_schema) == []


def test_real_schema_errors_are_located(real_schema: dict[str, Any], tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(ROOT / "apps" / "sales_crm", app)
    deal = app / "entities" / "deal.yaml"
    text = deal.read_text(encoding="utf-8")
    lines = text.split("\n")
    type_line = lines.index("  amount:") + 2  # 1-based line of `type: money`
    text = text.replace("  amount:\n    type: money\n", "  amount:\n    type: mony\n", 1)
    text = text.replace("    precision: 2\n", "    precison: 2\n", 1)
    deal.write_text(text, encoding="utf-8")
    precison_line = text.split("\n").index("    precison: 2") + 1
    folder = load_app_folder(app)
    problems = validate_documents(folder.documents, folder.sources, real_schema)
    assert sorted(where(d) for d in problems) == [
        ("S100", precison_line, 5, "/fields/probability/precison"),
        ("S102", type_line, 11, "/fields/amount/type"),
    ]
    hints = {d.pointer: d.hint for d in problems}
    assert hints == {
        "/fields/amount/type": "did you mean 'money'?",
        "/fields/probability/precison": "did you mean 'precision'?",
    }


def test_the_report_names_the_nodes_the_schema_rejected() -> None:
    text = (
        "entity: d\n"
        "fields:\n"
        "  Bad Id: {type: date}\n"  # S104 on a key: the name is wrong, the field is kept
        "  a: {type: text, colour: red}\n"  # S100: the unknown key is left out
        "  b: {type: dat}\n"  # S102: the value is left out
        "  c: {}\n"  # S101: nothing rejected, what is there is usable
        "tags: [a, b, c]\n"  # S107: too many, but each is fine
        "label: 5\n"  # S103: the value is left out
    )
    data, source, _ = parse_yaml(text, "entity.yaml")
    document = Document("entity.yaml", "entity", "d", data, source)
    report = check_documents([document], SourceIndex({document.file: source}), SCHEMA)
    assert {d.code for d in report.diagnostics} == {"S100", "S101", "S102", "S103", "S104", "S107"}
    assert report.rejected == {
        "entity.yaml": frozenset({"/fields/a/colour", "/fields/b/type", "/label"})
    }
