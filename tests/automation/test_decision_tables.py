"""Decision tables: the sales template's two tables give the answers their comments promise;
each hit policy picks its rows; NULL matches only `-`; cells are parsed once per table;
`=expression` cells and outputs go through the caller's callbacks; bad tables and bad
inputs are refused with messages naming the table, the input or the rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from runtime_support import SALES_APP

from engine.automation import decision
from engine.automation.decision import (
    CompiledTable,
    TableError,
    compile_table,
    compile_tables,
    evaluate_table,
)
from engine.spec import CheckResult, Registry, check_app
from engine.spec.document import Loc
from engine.spec.model_table import CellSpec, DecisionTableSpec, TableColumnSpec, TableRuleSpec
from engine.spec.model_values import EMPTY_LABEL, ExprSpec, ValueSpec

D = Decimal
FILE = "tables/t.yaml"


def make_table(
    rows: list[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    inputs: Mapping[str, str] | None = None,
    outputs: Mapping[str, str] | None = None,
    hit_policy: str = "first",
) -> DecisionTableSpec:
    """A table as `build_table` makes it: `=text` cells and outputs become expressions."""

    def column(name: str, type_name: str, where: str) -> TableColumnSpec:
        return TableColumnSpec(name, type_name, EMPTY_LABEL, Loc(FILE, where))

    rules = []
    for index, (when, then) in enumerate(rows):
        base = f"/rules/{index}"
        cells = {}
        for name, raw in when.items():
            loc = Loc(FILE, f"{base}/when/{name}")
            expr = None
            if isinstance(raw, str) and raw.startswith("="):
                expr = ExprSpec(raw[1:], loc, offset=1)
            cells[name] = CellSpec(raw, expr, loc)
        values = {n: ValueSpec.parse(v, Loc(FILE, f"{base}/then/{n}")) for n, v in then.items()}
        rules.append(TableRuleSpec(cells, values, Loc(FILE, base)))
    return DecisionTableSpec(
        name="t",
        label=EMPTY_LABEL,
        hit_policy=hit_policy,
        inputs=tuple(column(n, t, f"/inputs/{n}") for n, t in (inputs or {}).items()),
        outputs=tuple(column(n, t, f"/outputs/{n}") for n, t in (outputs or {}).items()),
        rules=tuple(rules),
        loc=Loc(FILE, ""),
    )


@pytest.fixture(scope="module")
def sales(project_registry: Registry) -> CheckResult:
    result = check_app(SALES_APP, project_registry)
    assert result.ok and result.app is not None, [str(d) for d in result.diagnostics]
    return result


@pytest.fixture(scope="module")
def sales_tables(sales: CheckResult) -> Mapping[str, CompiledTable]:
    assert sales.app is not None
    return compile_tables(sales.app.tables, sales.sources)


# -- the sales template --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "level", "required", "from_", "row"),
    [
        (D(600_000), "B", True, D(500_000), 0),
        (D(500_000), None, True, D(500_000), 0),
        (D(300_000), "A", True, D(200_000), 1),
        (D(200_000), "A", True, D(200_000), 1),
        (D("199999.99"), "A", False, D(200_000), 2),
        (D(300_000), "B", False, D(500_000), 3),
        (None, "A", False, D(200_000), 2),  # no amount yet: `-` still matches
        (None, None, False, D(500_000), 3),
        (250_000, "A", True, D(200_000), 1),  # an int is a number
    ],
)
def test_approval_threshold(
    sales_tables: Mapping[str, CompiledTable],
    amount: Any,
    level: str | None,
    required: bool,
    from_: Decimal,
    row: int,
) -> None:
    result = sales_tables["approval_threshold"].evaluate(
        {"amount": amount, "customer_level": level}
    )
    assert result.matched
    assert result.rows == (row,)
    assert dict(result.outputs) == {"director_required": required, "director_from": from_}
    assert isinstance(result.outputs["director_from"], Decimal)


@pytest.mark.parametrize(
    ("attainment", "tier", "rate", "cap"),
    [
        (D("1.6"), "outstanding", D("0.05"), D(100_000)),
        (D("1.5"), "outstanding", D("0.05"), D(100_000)),
        (D("1.4999"), "exceeded", D("0.04"), D(60_000)),
        (D("1.2"), "exceeded", D("0.04"), D(60_000)),
        (D("1.00"), "achieved", D("0.03"), D(30_000)),
        (1.25, "exceeded", D("0.04"), D(60_000)),  # a float is read exactly (1.25)
    ],
)
def test_bonus_tiers(
    sales_tables: Mapping[str, CompiledTable],
    attainment: Any,
    tier: str,
    rate: Decimal,
    cap: Decimal,
) -> None:
    result = sales_tables["bonus_tiers"].evaluate({"attainment": attainment})
    assert dict(result.outputs) == {"tier": tier, "rate": rate, "cap": cap}
    assert str(result.outputs["rate"]) == str(rate)  # 0.05 exactly, not a binary float


@pytest.mark.parametrize("attainment", [D("0.99"), D(0), None])
def test_below_every_bonus_tier_the_none_row_matches(
    sales_tables: Mapping[str, CompiledTable], attainment: Decimal | None
) -> None:
    """Below 100 % the table's last row answers: tier `none`, nothing earned (the bonus
    rules use it to bring an accrued bonus back to zero)."""
    result = sales_tables["bonus_tiers"].evaluate({"attainment": attainment})
    assert result.matched
    assert result.rows == (3,)
    assert dict(result.outputs) == {"tier": "none", "rate": D(0), "cap": D(0)}


def test_errors_name_rows_by_file_and_line_with_the_sources(sales: CheckResult) -> None:
    assert sales.app is not None
    table = sales.app.tables["bonus_tiers"]
    unique = dataclasses.replace(table, hit_policy="unique")
    with pytest.raises(TableError) as caught:
        compile_table(unique, sales.sources).evaluate({"attainment": D(2)})
    message = str(caught.value)
    assert "decision table 'bonus_tiers': 4 rows match" in message
    assert "row 1 at tables/bonus_tiers.yaml:20 /rules/0" in message
    assert "row 4 at tables/bonus_tiers.yaml:24 /rules/3" in message
    assert caught.value.rows == (0, 1, 2, 3)


# -- hit policies --------------------------------------------------------------------------

SCORE_ROWS: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [
    ({"score": ">= 90"}, {"grade": "A", "points": 3}),
    ({"score": ">= 80"}, {"grade": "B", "points": 2}),
    ({"score": "[50 .. 80)"}, {"grade": "C", "points": 1}),
]


def scores(hit_policy: str) -> CompiledTable:
    return compile_table(
        make_table(
            SCORE_ROWS,
            inputs={"score": "integer"},
            outputs={"grade": "text", "points": "integer"},
            hit_policy=hit_policy,
        )
    )


@pytest.mark.parametrize("hit_policy", ["first", "priority"])
def test_first_and_priority_take_the_first_match_in_row_order(hit_policy: str) -> None:
    result = scores(hit_policy).evaluate({"score": 95})
    assert result.rows == (0,)
    assert dict(result.outputs) == {"grade": "A", "points": D(3)}
    assert result.hit_policy == hit_policy


def test_unique_allows_one_match() -> None:
    table = scores("unique")
    assert dict(table.evaluate({"score": 60}).outputs) == {"grade": "C", "points": D(1)}
    assert not table.evaluate({"score": 10}).matched
    with pytest.raises(TableError) as caught:
        table.evaluate({"score": 95})
    message = str(caught.value)
    assert "2 rows match, but the hit policy 'unique' allows one" in message
    assert "row 1 at tables/t.yaml /rules/0; row 2 at tables/t.yaml /rules/1" in message
    assert caught.value.rows == (0, 1)


def test_collect_gives_every_matching_row_as_lists() -> None:
    table = scores("collect")
    result = table.evaluate({"score": 95})
    assert result.rows == (0, 1)
    assert dict(result.outputs) == {"grade": ["A", "B"], "points": [D(3), D(2)]}
    empty = table.evaluate({"score": 10})
    assert not empty.matched
    assert dict(empty.outputs) == {"grade": [], "points": []}


def test_a_range_leaves_out_the_end_under_a_round_bracket() -> None:
    table = scores("first")
    assert table.evaluate({"score": 50}).outputs["grade"] == "C"
    assert table.evaluate({"score": D("79.9")}).outputs["grade"] == "C"
    assert table.evaluate({"score": 80}).outputs["grade"] == "B"
    assert not table.evaluate({"score": 49}).matched


# -- cells ----------------------------------------------------------------------------------


def test_null_matches_only_the_dash() -> None:
    rows: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [
        ({"x": "< 5"}, {"row": "compare"}),
        ({"x": "[0 .. 10]"}, {"row": "range"}),
        ({"x": "in [1, 2]"}, {"row": "in"}),
        ({"x": "3"}, {"row": "equal"}),
        ({"x": "-"}, {"row": "dash"}),
    ]
    table = compile_table(make_table(rows, inputs={"x": "number"}, hit_policy="collect"))
    assert table.evaluate({"x": None}).outputs["row"] == ["dash"]
    assert table.evaluate({"x": 3}).outputs["row"] == ["compare", "range", "equal", "dash"]


def test_a_cell_left_out_matches_anything() -> None:
    table = make_table(
        [({"level": "A"}, {"ok": True}), ({}, {"ok": False})],
        inputs={"level": "text", "amount": "money"},
        outputs={"ok": "boolean"},
    )
    assert evaluate_table(table, {"level": "B", "amount": None}).outputs["ok"] is False
    assert evaluate_table(table, {"level": "A", "amount": 1}).outputs["ok"] is True


def test_text_cells_match_exactly() -> None:
    table = compile_table(
        make_table(
            [
                ({"level": "in ['A', 'B']"}, {"n": 1}),
                ({"level": "'c d'"}, {"n": 2}),
                ({"level": 7}, {"n": 3}),  # a YAML number in a text column is the text 7
            ],
            inputs={"level": "text"},
        )
    )
    assert table.evaluate({"level": "B"}).outputs["n"] == 1
    assert not table.evaluate({"level": "b"}).matched
    assert table.evaluate({"level": "c d"}).outputs["n"] == 2
    assert table.evaluate({"level": "7"}).outputs["n"] == 3


def test_dates_and_datetimes() -> None:
    table = compile_table(
        make_table(
            [
                ({"day": "< 2026-01-01"}, {"period": "old"}),
                ({"day": "[2026-01-01 .. 2026-03-31]"}, {"period": "q1"}),
                ({"day": "-"}, {"period": "later"}),
            ],
            inputs={"day": "date"},
        )
    )
    assert table.evaluate({"day": date(2025, 12, 31)}).outputs["period"] == "old"
    assert table.evaluate({"day": date(2026, 3, 31)}).outputs["period"] == "q1"
    assert table.evaluate({"day": date(2026, 4, 1)}).outputs["period"] == "later"
    moments = compile_table(
        make_table(
            [({"at": "[2026-01-01 .. 2026-03-31]"}, {"q1": True})], inputs={"at": "datetime"}
        )
    )
    # a datetime meets a date as its calendar date (the last day of a range counts)
    assert moments.evaluate({"at": datetime(2026, 3, 31, 23, 59, tzinfo=UTC)}).matched
    assert not moments.evaluate({"at": datetime(2026, 4, 1, 0, 0, tzinfo=UTC)}).matched


def test_booleans_are_not_numbers_in_an_untyped_table() -> None:
    table = compile_table(make_table([({"x": "1"}, {"one": True})]))  # no inputs declared
    assert table.input_names == ()
    assert table.evaluate({"x": 1}).matched
    assert not table.evaluate({"x": True}).matched
    assert not table.evaluate({"x": "text"}).matched


def test_cells_are_parsed_once_per_table(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = decision.parse_unary_test

    def counting(cell: object, input_type: Any) -> Any:
        calls.append(cell)
        return real(cell, input_type)

    monkeypatch.setattr(decision, "parse_unary_test", counting)
    table = scores("first")
    assert len(calls) == 3
    for score in range(100):
        table.evaluate({"score": score})
    assert len(calls) == 3


# -- expressions ----------------------------------------------------------------------------


def expression_table() -> DecisionTableSpec:
    return make_table(
        [
            ({"amount": "=? > limit", "limit": "-"}, {"over": True, "by": "=amount - limit"}),
            ({"amount": "-"}, {"over": False, "by": 0}),
        ],
        inputs={"amount": "money", "limit": "money"},
        outputs={"over": "boolean", "by": "money"},
    )


def test_expression_cells_and_outputs_go_through_the_callbacks() -> None:
    inputs = {"amount": D(120), "limit": D(100)}
    seen: list[tuple[str, Any]] = []

    def cell(spec: CellSpec, value: Any) -> bool:
        assert spec.expr is not None
        seen.append((spec.expr.text, value))
        return value is not None and bool(value > inputs["limit"])

    def output(expr: ExprSpec) -> Any:
        assert expr.text == "amount - limit"
        return int(inputs["amount"] - inputs["limit"])  # an int comes back as a Decimal

    table = compile_table(expression_table())
    assert table.has_expressions
    result = table.evaluate(inputs, expression_cell=cell, output_expression=output)
    assert dict(result.outputs) == {"over": True, "by": D(20)}
    assert isinstance(result.outputs["by"], Decimal)
    assert seen == [("? > limit", D(120))]
    # NULL goes to the expression, which decides; row 2's outputs need no callback
    fallback = table.evaluate({"amount": None, "limit": D(100)}, expression_cell=cell)
    assert dict(fallback.outputs) == {"over": False, "by": D(0)}
    assert seen[-1] == ("? > limit", None)


def test_an_expression_without_its_callback_is_an_error() -> None:
    table = compile_table(expression_table())
    with pytest.raises(TableError, match=r"row 1 \(tables/t.yaml /rules/0\) tests 'amount'"):
        table.evaluate({"amount": D(1), "limit": D(0)})
    with pytest.raises(TableError, match="computes 'by' with an =expression"):
        table.evaluate({"amount": D(1), "limit": D(0)}, expression_cell=lambda c, v: True)


# -- outputs and traces ---------------------------------------------------------------------


def test_literal_outputs_take_their_column_type() -> None:
    table = make_table(
        [({}, {"code": 7, "day": "2026-03-01", "share": 0.1, "flag": True})],
        outputs={"code": "text", "day": "date", "share": "percent", "flag": "boolean"},
    )
    outputs = evaluate_table(table, {}).outputs
    assert dict(outputs) == {"code": "7", "day": date(2026, 3, 1), "share": D("0.1"), "flag": True}


def test_outputs_without_a_value_in_a_row_are_null() -> None:
    table = make_table([({}, {"a": 1})], outputs={"a": "number", "b": "text"})
    assert dict(evaluate_table(table, {}).outputs) == {"a": D(1), "b": None}


def test_the_trace_is_json_ready() -> None:
    result = scores("collect").evaluate({"score": 90})
    assert result.describe() == {
        "table": "t",
        "hit_policy": "collect",
        "rows": [0, 1],
        "outputs": {"grade": ["A", "B"], "points": ["3", "2"]},
    }
    day = evaluate_table(make_table([({}, {"d": "2026-03-01"})], outputs={"d": "date"}), {})
    assert day.describe()["outputs"] == {"d": "2026-03-01"}


# -- bad tables and bad inputs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"score": "90"},
            r"input 'score' is integer \(a number\), but the value given is str '90'",
        ),
        ({"score": True}, "input 'score' is integer .* bool True"),
        ({"score": D("NaN")}, "input 'score' is integer"),
        ({}, "no value given for input 'score'; pass null for an empty value"),
        ({"score": 1, "grade": "A"}, r"no input named 'grade' \(inputs: score\)"),
    ],
)
def test_bad_inputs_are_refused(inputs: Mapping[str, Any], message: str) -> None:
    with pytest.raises(TableError, match=message):
        scores("first").evaluate(inputs)


def test_a_datetime_for_a_date_input_is_refused() -> None:
    table = compile_table(make_table([({}, {})], inputs={"day": "date"}))
    with pytest.raises(TableError, match=r"input 'day' is a date .*its local date first"):
        table.evaluate({"day": datetime(2026, 3, 2, tzinfo=UTC)})


@pytest.mark.parametrize(
    ("rows", "hit_policy", "message"),
    [
        (
            [({"score": "!= 5"}, {})],
            "first",
            r"row 1 \(tables/t.yaml /rules/0\), the cell of 'score' \('!= 5'\): "
            "'!=' is not a unary test",
        ),
        (
            [({"score": "-"}, {}), ({"scor": "5"}, {})],
            "first",
            r"row 2 \(tables/t.yaml /rules/1\) tests 'scor', which is not an input",
        ),
        ([({"score": "'a'"}, {})], "first", "the input is"),
        ([], "any", "unknown hit policy 'any' \\(use one of first, unique, priority, collect\\)"),
    ],
)
def test_bad_tables_are_refused_when_compiled(
    rows: list[tuple[Mapping[str, Any], Mapping[str, Any]]], hit_policy: str, message: str
) -> None:
    table = make_table(rows, inputs={"score": "integer"}, hit_policy=hit_policy)
    with pytest.raises(TableError, match=message):
        compile_table(table)
