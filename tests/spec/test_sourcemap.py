"""SourceMap: pointers to line:col, key positions, fallbacks, offsets inside scalars."""

from __future__ import annotations

import pytest

from engine.spec.sourcemap import (
    NodeSpan,
    Position,
    SourceMap,
    join_pointer,
    parent_pointer,
    split_pointer,
)
from engine.spec.yaml_loader import parse_yaml


def source_of(text: str) -> SourceMap:
    _, source, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    return source


def char_at(text: str, position: Position) -> str:
    """The character an editor shows at `position` (lines split like YAML does)."""
    lines = text.replace("\r\n", "\n").split("\n")
    return lines[position.line - 1][position.col - 1]


# -- pointers ------------------------------------------------------------------------------


def test_join_pointer_escapes_slash_and_tilde() -> None:
    assert join_pointer("", "a/b", "c~d", 3) == "/a~1b/c~0d/3"


def test_split_pointer_unescapes_in_the_right_order() -> None:
    assert split_pointer("/a~1b/c~0d/~01") == ["a/b", "c~d", "~1"]
    assert split_pointer("") == []


def test_parent_pointer() -> None:
    assert parent_pointer("/fields/amount/type") == "/fields/amount"
    assert parent_pointer("/fields") == ""
    assert parent_pointer("") == ""


# -- value and key positions --------------------------------------------------------------


def test_value_and_key_positions_of_block_mapping() -> None:
    source = source_of("entity: deal\nfields:\n  amount:\n    type: money\n")
    assert source.value("/entity") == Position(1, 9)
    assert source.key("/entity") == Position(1, 1)
    assert source.value("/fields/amount/type") == Position(4, 11)
    assert source.key("/fields/amount/type") == Position(4, 5)
    assert source.key("/fields/amount") == Position(3, 3)


def test_flow_mapping_positions() -> None:
    source = source_of("fields:\n  amount: {type: money, min: 0}\n")
    assert source.value("/fields/amount") == Position(2, 11)
    assert source.key("/fields/amount/type") == Position(2, 12)
    assert source.value("/fields/amount/type") == Position(2, 18)
    assert source.key("/fields/amount/min") == Position(2, 25)
    assert source.value("/fields/amount/min") == Position(2, 30)


def test_sequence_items_are_numbered_from_zero() -> None:
    source = source_of("locales: [zh, en]\nroles:\n  - a\n  - b\n")
    assert source.value("/locales/1") == Position(1, 15)
    assert source.value("/roles/0") == Position(3, 5)
    assert source.value("/roles/1") == Position(4, 5)
    # A list item has no key: key() falls back to the value.
    assert source.key("/roles/1") == Position(4, 5)


def test_quoted_keys_and_keys_with_slashes() -> None:
    source = source_of("\"a/b\": 1\n'c~d': 2\n")
    assert source.key("/a~1b") == Position(1, 1)
    assert source.value("/a~1b") == Position(1, 8)
    assert source.key("/c~0d") == Position(2, 1)


def test_missing_pointer_falls_back_to_nearest_ancestor() -> None:
    source = source_of("fields:\n  amount: {type: money}\n")
    assert source.value("/fields/amount/currency") == source.value("/fields/amount")
    assert source.value("/nope/deeper") == source.value("")
    assert source.key("/fields/amount/currency") == Position(2, 11)


def test_unicode_values_count_characters_not_bytes() -> None:
    text = "title: {zh: 合同审批, en: x}\n"
    source = source_of(text)
    assert source.value("/title/en") == Position(1, 23)
    assert char_at(text, source.value("/title/en")) == "x"


def test_crlf_line_endings() -> None:
    text = "a: 1\r\nb:\r\n  c: x\r\n"
    source = source_of(text)
    assert source.value("/b/c") == Position(3, 6)
    assert source.line_count == 4


def test_empty_source_map_points_at_the_start() -> None:
    source = SourceMap()
    assert source.value("/anything") == Position(1, 1)
    assert source.key("/anything") == Position(1, 1)
    assert source.in_scalar("/anything", 3) == Position(1, 1)
    assert list(source.pointers()) == []


def test_hand_built_map() -> None:
    source = SourceMap(
        "a: b\n",
        {
            "": NodeSpan(Position(1, 1), Position(2, 1)),
            "/a": NodeSpan(Position(1, 4), Position(1, 5), ""),
        },
        {"/a": Position(1, 1)},
    )
    assert list(source.pointers()) == ["", "/a"]
    assert "/a" in source and "/b" not in source
    assert source.span("/a") == NodeSpan(Position(1, 4), Position(1, 5), "")


# -- offsets inside scalars ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "offset", "expected"),
    [
        ("rule: amount > 0", 0, "a"),
        ("rule: amount > 0", 7, ">"),
        ("rule: 'it''s here'", 2, "'"),  # '' is one quote of the value
        ("rule: 'it''s here'", 3, "s"),
        ('rule: "a\\tb c"', 2, "b"),  # \t is one character of the value
        ('rule: "\\u4e2d x"', 2, "x"),
        ("rule: 金额 > 0", 3, ">"),
        ("rule: &r 'x > 1'", 2, ">"),  # the anchor is not part of the value
    ],
)
def test_in_scalar_single_line(line: str, offset: int, expected: str) -> None:
    text = line + "\n"
    source = source_of(text)
    assert char_at(text, source.in_scalar("/rule", offset)) == expected


def test_in_scalar_past_the_end_points_after_the_last_character() -> None:
    text = "rule: abc\n"
    assert source_of(text).in_scalar("/rule", 99) == Position(1, 10)
    assert source_of(text).in_scalar("/rule", -5) == Position(1, 7)


def test_in_scalar_literal_block() -> None:
    text = "rule: |\n  first line\n  second > line\n"
    source = source_of(text)
    # value: "first line\nsecond > line\n"; offset 18 is '>'
    assert source.in_scalar("/rule", 18) == Position(3, 10)
    assert source.in_scalar("/rule", 0) == Position(2, 3)


def test_in_scalar_folded_block_with_paragraph() -> None:
    text = "rule: >\n  one\n  two\n\n  three\n"
    data, source, _ = parse_yaml(text, "f.yaml")
    assert data["rule"] == "one two\nthree\n"
    assert source.in_scalar("/rule", 4) == Position(3, 3)  # 't' of two
    assert source.in_scalar("/rule", 8) == Position(5, 3)  # 't' of three


def test_in_scalar_multi_line_plain_and_escaped_break() -> None:
    text = 'a: plain\n  continued\nb: "esc \\\n   next"\n'
    data, source, _ = parse_yaml(text, "f.yaml")
    assert data == {"a": "plain continued", "b": "esc next"}
    assert source.in_scalar("/a", 6) == Position(2, 3)
    assert source.in_scalar("/b", 4) == Position(4, 4)


def test_in_scalar_with_crlf_block() -> None:
    text = "rule: |\r\n  ab\r\n  cd\r\n"
    source = source_of(text)
    assert source.in_scalar("/rule", 3) == Position(3, 3)


def test_in_scalar_of_a_non_scalar_is_its_value_position() -> None:
    source = source_of("m: {a: 1}\n")
    assert source.in_scalar("/m", 3) == Position(1, 4)
