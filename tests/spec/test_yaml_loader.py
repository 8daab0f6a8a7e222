"""parse_yaml: plain data, the source map and Y-code diagnostics, with both PyYAML parsers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from engine.diagnostics import Diagnostic
from engine.spec import yaml_loader
from engine.spec.sourcemap import Position
from engine.spec.yaml_loader import head_of, parse_yaml

DEFAULT_LOADER = yaml_loader._LOADER  # before the fixture below patches it
LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__, autouse=True)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Every test runs with libyaml's parser and with the pure-Python one."""
    monkeypatch.setattr(yaml_loader, "_LOADER", request.param)
    yield request.param


def where(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    return diagnostic.code, diagnostic.line, diagnostic.col, diagnostic.pointer


def test_the_c_loader_is_the_default() -> None:
    assert DEFAULT_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_plain_data_types() -> None:
    text = (
        "s: text\nn: 3\nf: 1.5\nb: true\nz: ~\nd: 2026-03-02\n"
        "t: 2026-03-02T09:00:00+08:00\nl: [1, two]\nq: '3'\nh: 0x1F\n"
    )
    data, _, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert data == {
        "s": "text",
        "n": 3,
        "f": 1.5,
        "b": True,
        "z": None,
        "d": "2026-03-02",
        "t": "2026-03-02T09:00:00+08:00",
        "l": [1, "two"],
        "q": "3",
        "h": 31,
    }


def test_expression_values_stay_text() -> None:
    data, _, problems = parse_yaml('default: =me()\nv: "\\\\=5"\neq: =\n', "f.yaml")
    assert problems == []
    assert data == {"default": "=me()", "v": "\\=5", "eq": "="}


def test_duplicate_key_points_at_the_second_and_names_the_first_line() -> None:
    text = "entity: deal\nfields:\n  amount: {type: money}\n  amount: {type: number}\n"
    data, _, problems = parse_yaml(text, "entities/deal.yaml")
    assert [where(d) for d in problems] == [("Y101", 4, 3, "/fields/amount")]
    assert problems[0].message == "duplicate key 'amount' (first defined on line 3)"
    assert problems[0].file == "entities/deal.yaml"
    assert data["fields"] == {"amount": {"type": "money"}}


def test_duplicate_key_in_flow_mapping() -> None:
    _, _, problems = parse_yaml("a: {x: 1, y: 2, x: 3}\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y101", 1, 17, "/a/x")]


def test_non_string_keys_are_errors_but_keep_their_text() -> None:
    data, _, problems = parse_yaml("1: one\nyes: two\nnull: three\n", "f.yaml")
    assert [where(d) for d in problems] == [
        ("Y102", 1, 1, "/1"),
        ("Y102", 2, 1, "/yes"),
        ("Y102", 3, 1, "/null"),
    ]
    assert problems[1].message == "the key 'yes' is read as a boolean, not as text"
    assert problems[1].hint == "quote it: 'yes'"
    assert data == {"1": "one", "yes": "two", "null": "three"}


def test_collection_key_is_an_error_and_is_skipped() -> None:
    data, _, problems = parse_yaml("? [a, b]\n: 1\nc: 2\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y102", 1, 3, "")]
    assert data == {"c": 2}


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_file(text: str) -> None:
    data, source, problems = parse_yaml(text, "f.yaml")
    assert data is None
    assert [where(d) for d in problems] == [("Y103", 1, 1, "")]
    assert list(source.pointers()) == []


def test_two_documents_are_an_error_at_the_second_start() -> None:
    data, _, problems = parse_yaml("---\na: 1\n---\nb: 2\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y104", 3, 1, "")]
    assert data == {"a": 1}


def test_tab_indentation_is_a_syntax_error_at_the_tab() -> None:
    data, source, problems = parse_yaml("a: 1\n\tb: 2\n", "f.yaml")
    assert data is None
    assert [where(d) for d in problems] == [("Y100", 2, 1, "")]
    assert "tab" in problems[0].message
    assert problems[0].hint is not None and "spaces" in problems[0].hint
    assert "Traceback" not in problems[0].message
    assert source.line_count == 3


def test_tab_inside_a_value_is_fine() -> None:
    data, source, problems = parse_yaml("a: 'x\tz'\nb: \"q\tr\"  # \tcomment\n", "f.yaml")
    assert problems == []
    assert data == {"a": "x\tz", "b": "q\tr"}
    assert source.value("/b") == Position(2, 4)


def test_unclosed_flow_mapping_names_where_it_started() -> None:
    _, _, problems = parse_yaml("a: {b: 1\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y100", 2, 1, "")]
    assert "line 1, column 4" in problems[0].message


def test_bad_indentation_error_position() -> None:
    _, _, problems = parse_yaml("a: 1\n b: 2\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y100", 2, 3, "")]
    assert problems[0].message.startswith("mapping values are not allowed")


def test_control_character_is_reported_where_it_is() -> None:
    _, _, problems = parse_yaml("title: 合同\x01\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y100", 1, 10, "")]
    assert "U+0001" in problems[0].message


def test_byte_order_mark_does_not_shift_columns() -> None:
    data, source, problems = parse_yaml("\ufeffapp: crm\ntitle: x\n", "app.yaml")
    assert problems == []
    assert data == {"app": "crm", "title": "x"}
    assert source.key("/app") == Position(1, 1)
    assert source.value("/app") == Position(1, 6)


def test_crlf_line_endings_keep_lines_and_columns() -> None:
    text = "a: 1\r\nb:\r\n  c: [x, y]\r\n"
    data, source, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert data == {"a": 1, "b": {"c": ["x", "y"]}}
    assert source.value("/b/c/1") == Position(3, 10)


def test_crlf_duplicate_key_line() -> None:
    _, _, problems = parse_yaml("a: 1\r\nb: 2\r\na: 3\r\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y101", 3, 1, "/a")]


def test_chinese_values_and_columns() -> None:
    text = "label: {zh: 合同, en: Contract}\nx: 金额\n"
    data, source, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert data["label"] == {"zh": "合同", "en": "Contract"}
    assert source.key("/label/en") == Position(1, 17)
    assert source.value("/label/en") == Position(1, 21)
    assert source.value("/x") == Position(2, 4)


def test_block_scalars_are_text_with_positions() -> None:
    text = "a: |\n  one\n  two\nb: >-\n  folded\n  text\n"
    data, source, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert data == {"a": "one\ntwo\n", "b": "folded text"}
    assert source.value("/a") == Position(1, 4)
    assert source.key("/b") == Position(4, 1)


def test_aliases_copy_the_anchor_and_keep_its_positions() -> None:
    text = "base: &b [x, y]\nother: *b\n"
    data, source, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert data == {"base": ["x", "y"], "other": ["x", "y"]}
    assert data["base"] is not data["other"]
    assert source.value("/other/1") == Position(1, 14)
    assert source.key("/other") == Position(2, 1)


def test_merge_keys_merge_and_own_keys_win() -> None:
    text = "defaults: &d {type: money, min: 0}\nfield:\n  <<: *d\n  min: 5\n  label: x\n"
    data, source, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert data["field"] == {"type": "money", "min": 5, "label": "x"}
    assert source.value("/field/type") == Position(1, 21)
    assert source.value("/field/min") == Position(4, 8)


def test_merge_of_several_mappings_first_wins() -> None:
    text = "a: &a {k: 1}\nb: &b {k: 2, j: 3}\nc:\n  <<: [*a, *b]\n"
    data, _, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert data["c"] == {"k": 1, "j": 3}


def test_merge_of_a_scalar_is_an_error_at_the_merge_key() -> None:
    _, _, problems = parse_yaml("a: &a 5\nb:\n  <<: *a\n  c: 1\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y105", 3, 7, "/b")]
    assert problems[0].message == "'<<' merges mappings, but *a is a single value"


def test_merge_of_an_anchored_list_is_one_error_at_the_merge_key() -> None:
    text = "a: &names [x, y]\nb:\n  c: 1\n  <<: *names  # meant: names: *names\n"
    _, _, problems = parse_yaml(text, "f.yaml")
    assert [where(d) for d in problems] == [("Y105", 4, 7, "/b")]
    assert problems[0].message == "'<<' merges mappings, but *names is a list"
    assert problems[0].hint == "to reuse the list, write it under a key: `<key>: *names`"


def test_a_tab_gives_the_hint_without_the_parser_context() -> None:
    _, _, problems = parse_yaml("a:\n  b: 1\n\tc: 2\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y100", 3, 1, "")]
    assert "while scanning" not in problems[0].message
    assert problems[0].hint == "indent with spaces: YAML does not allow tabs for indentation"


def test_the_head_of_a_broken_file_is_still_read() -> None:
    assert head_of("# c\nentity: deal\nfields:\n  a: {type: text\n") == ("entity", "deal")
    assert head_of("{table: t, rules: [\n") == ("table", "t")
    assert head_of("entity: [deal\n") is None
    assert head_of("- a\n") is None
    assert head_of("\tentity: deal\n") is None


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    data, _, problems = parse_yaml("a: &a [1, *a]\n", "f.yaml")
    assert [d.code for d in problems] == ["Y107"]
    assert problems[0].pointer == "/a/1"
    assert data == {"a": [1, None]}


def test_alias_bomb_is_cut_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_loader, "_MAX_NODES", 5_000)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    _, _, problems = parse_yaml("\n".join(lines) + "\n", "f.yaml")
    assert [d.code for d in problems] == ["Y107"]


def test_undefined_alias_is_a_syntax_error() -> None:
    _, _, problems = parse_yaml("a: *nope\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y100", 1, 4, "")]
    assert problems[0].hint is not None and "anchor" in problems[0].hint


def test_unknown_tag_is_reported_and_the_text_kept() -> None:
    data, _, problems = parse_yaml("a: !secret x\n", "f.yaml")
    assert [where(d) for d in problems] == [("Y106", 1, 4, "/a")]
    assert data == {"a": "x"}


def test_document_that_is_a_list_or_scalar_parses() -> None:
    assert parse_yaml("- a\n- b\n", "f.yaml")[0] == ["a", "b"]
    assert parse_yaml("just text\n", "f.yaml")[0] == "just text"


def test_source_map_lists_every_node_in_document_order() -> None:
    _, source, _ = parse_yaml("a: {b: [1, 2]}\nc: 3\n", "f.yaml")
    assert list(source.pointers()) == ["", "/a", "/a/b", "/a/b/0", "/a/b/1", "/c"]
