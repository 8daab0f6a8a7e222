"""Reading inputs per field type (exact, never rounded) and writing JSON back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.runtime.messages import render
from engine.runtime.values import InputContext, InvalidInput, parse_input, to_json
from engine.spec.document import Loc
from engine.spec.model import FieldSpec, OptionSpec

SHANGHAI = InputContext(timezone=ZoneInfo("Asia/Shanghai"), currency="CNY")


def field(kind: str, **options: Any) -> FieldSpec:
    empty: MappingProxyType[str, Any] = MappingProxyType({})
    return FieldSpec(
        name="f", type=kind, label=MappingProxyType({"en": "F"}), help=empty,
        placeholder=empty, required=False, required_if=None, visible_if=None,
        readonly=False, default=None, unique=False, index=False, renamed_from=None,
        validations=(), options=MappingProxyType(options), expressions=empty,
        parameters=empty, subfields=empty, rollup=None, implicit=False, loc=Loc("x", ""),
        choices=tuple(OptionSpec(o, empty, None, Loc("x", "")) for o in options.get("opts", ())),
    )  # fmt: skip


def error_text(kind: str, raw: Any, locale: str = "en", **options: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_input(field(kind, **options), raw, SHANGHAI)
    return render(caught.value.message, locale)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.56", Decimal("1234.56")),
        (1234.56, Decimal("1234.56")),
        (0.1, Decimal("0.1")),
        (12, Decimal("12")),
        ("1,000,000.10", Decimal("1000000.10")),
        (Decimal("99999999.99"), Decimal("99999999.99")),
    ],
)
def test_money_is_exact(raw: Any, expected: Decimal) -> None:
    value = parse_input(field("money"), raw, SHANGHAI)
    assert value == expected and isinstance(value, Decimal)


def test_money_with_too_many_places_is_refused_not_rounded() -> None:
    assert error_text("money", "10.005") == "Use at most 2 decimal places."
    assert error_text("money", "10.005", "zh") == "最多保留 2 位小数。"
    assert parse_input(field("money", currency="JPY"), "100", SHANGHAI) == Decimal(100)
    assert error_text("money", "100.5", currency="JPY") == "Use at most 0 decimal places."


def test_money_that_is_not_a_number_names_the_expected_form() -> None:
    assert error_text("money", "ten yuan") == (
        "Enter an amount in CNY with at most 2 decimal places, e.g. 1234.50."
    )
    assert error_text("money", True) == error_text("money", "x")
    assert error_text("money", "1,5") == error_text("money", "x")  # a decimal comma? ask
    assert error_text("money", "12,34.5") == error_text("money", "x")
    assert "CNY" in error_text("money", "x", "zh")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("25%", Decimal("0.25")),
        ("0.125", Decimal("0.125")),
        (1, Decimal(1)),
        ("12.5 %", Decimal("0.125")),
        ("half", None),
    ],
)
def test_percent_reads_ratios_and_percentages(raw: Any, expected: Decimal | None) -> None:
    if expected is None:
        assert "percentage" in error_text("percent", raw)
    else:
        assert parse_input(field("percent"), raw, SHANGHAI) == expected


def test_numbers_and_integers() -> None:
    assert parse_input(field("number", precision=3), "1.125", SHANGHAI) == Decimal("1.125")
    assert error_text("number", "1.125") == "Use at most 2 decimal places."
    assert error_text("number", "1e400") == "This number is too large."
    assert parse_input(field("integer"), "12", SHANGHAI) == 12
    assert parse_input(field("integer"), 12.0, SHANGHAI) == 12
    assert error_text("integer", "12.5") == "Enter a whole number, e.g. 12."
    assert error_text("integer", False) == "Enter a whole number, e.g. 12."


def test_dates_and_datetimes() -> None:
    assert parse_input(field("date"), "2024-02-29", SHANGHAI) == date(2024, 2, 29)
    assert error_text("date", "2024-02-30") == "Enter a date as YYYY-MM-DD, e.g. 2024-06-30."
    assert error_text("date", "30/06/2024", "zh").startswith("请按 YYYY-MM-DD")
    moment = parse_input(field("datetime"), "2024-06-30T14:00", SHANGHAI)
    assert moment == datetime(2024, 6, 30, 6, 0, tzinfo=UTC)
    assert parse_input(field("datetime"), "2024-06-30T14:00Z", SHANGHAI) == datetime(
        2024, 6, 30, 14, 0, tzinfo=UTC
    )
    assert "YYYY-MM-DDTHH:MM" in error_text("datetime", "tomorrow")


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), ("false", False), ("on", True), (0, False), ("No", False)]
)
def test_booleans(raw: Any, expected: bool) -> None:
    assert parse_input(field("boolean"), raw, SHANGHAI) is expected


def test_blank_values_become_none_or_an_empty_list() -> None:
    assert parse_input(field("text"), "   ", SHANGHAI) is None
    assert parse_input(field("money"), "", SHANGHAI) is None
    assert parse_input(field("multi_select"), [], SHANGHAI) == []
    assert parse_input(field("text"), "  ACME  ", SHANGHAI) == "ACME"
    assert parse_input(field("long_text"), "  line\n", SHANGHAI) == "  line\n"


def test_lists_references_and_files() -> None:
    chosen = parse_input(field("multi_select"), ["red", "blue", "red"], SHANGHAI)
    assert chosen == ["red", "blue"]
    assert error_text("multi_select", [1, 2]) == "Send a list of values."
    assert parse_input(field("link", to="customer"), "7", SHANGHAI) == 7
    assert parse_input(field("link", to="customer"), {"id": 7}, SHANGHAI) == 7
    assert error_text("link", "seven", to="customer") == (
        "Enter the id of a customer (a whole number)."
    )
    assert parse_input(field("team"), 3, SHANGHAI) == 3
    assert parse_input(field("user"), " ann ", SHANGHAI) == "ann"
    assert error_text("user", 5) == "Enter a username."
    assert parse_input(field("attachment"), [3, "4", {"id": 3}], SHANGHAI) == [3, 4]
    assert parse_input(field("attachment"), 9, SHANGHAI) == [9]


def test_to_json_keeps_numbers_exact() -> None:
    assert to_json(None, Decimal("1234.50")) == 1234.5
    assert to_json(None, Decimal("12000000.00")) == 12000000
    assert to_json(None, Decimal("0.1")) == 0.1
    assert to_json(None, Decimal("12345678901234567.89")) == "12345678901234567.89"
    assert to_json(None, date(2026, 3, 2)) == "2026-03-02"
    assert to_json(None, datetime(2026, 3, 2, 1, tzinfo=UTC)) == "2026-03-02T01:00:00+00:00"
    assert to_json(None, [{"qty": 2, "price": Decimal("1.50")}]) == [{"qty": 2, "price": 1.5}]


@pytest.mark.parametrize("raw", [2**31, "2147483648", 2**70, {"id": 2**63}, 0, -5])
def test_ids_no_row_can_have_are_field_errors_not_overflows(raw: Any) -> None:
    key = raw["id"] if isinstance(raw, dict) else int(raw)
    assert error_text("link", raw, to="customer") == f"There is no customer with id {key}."
    assert error_text("link", raw, "zh", to="customer") == f"编号为 {key} 的customer不存在。"
    assert error_text("team", raw) == f"There is no team with id {key}."
    assert error_text("team", raw, "zh") == f"编号为 {key} 的团队不存在。"
    assert error_text("attachment", [1, raw]) == (
        f"There is no uploaded file with id {key} for this field."
    )
    assert error_text("attachment", raw, "zh") == f"此字段没有编号为 {key} 的已上传文件。"


def test_the_largest_int4_id_is_still_an_id() -> None:
    assert parse_input(field("link", to="customer"), 2**31 - 1, SHANGHAI) == 2**31 - 1
    assert parse_input(field("team"), "2147483647", SHANGHAI) == 2**31 - 1
    assert parse_input(field("attachment"), [1, 2**31 - 1], SHANGHAI) == [1, 2**31 - 1]
