"""Decision tables evaluated: which rows match the inputs, and what outputs they give.

A table (`tables/*.yaml`, `DecisionTableSpec`) has typed inputs, typed outputs and rows
whose `when` cells test one input each. `compile_table` parses every cell once — unary
tests through `parse_unary_test`, with the input's type — and converts every literal output
to its column's type; the `CompiledTable` it returns is immutable and is kept for the life
of the app (`compile_tables` does all of an app's tables at load).

Matching. A cell left out of a row, or written `-`, matches anything. Inputs are Python
values (Decimal, str, bool, date, datetime, None; ints and floats become Decimal) and are
checked against their column's type. A NULL input matches only `-` (as in SQL, where a
comparison with NULL is never true). A datetime input meets a date in a cell as its
calendar date, in its own time zone (pass local times). An `=expression` cell (`? > 5`) is
evaluated by the caller's `expression_cell(cell, value)` callback, with the input as `?`
(NULL included: the expression decides); an `=expression` output by `output_expression`.

Hit policies. `first`: the first matching row, in row order. `priority`: the same — rows
are written in priority order, so the first match is the one with the highest priority.
`unique`: at most one row may match; several is an error naming the rows. `collect`: every
matching row, each output becoming the list of the matching rows' values.

No matching row is not an error here: the result says `matched=False` (every output None,
or an empty list for `collect`) and the caller decides — the `lookup` action fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from engine.automation.context import ActionFailed
from engine.expr import UnaryTest, ValueType, parse_unary_test
from engine.expr.types import TypeKind
from engine.expr.values import to_number
from engine.spec.document import Loc, SourceIndex
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model_table import CellSpec, DecisionTableSpec
from engine.spec.model_values import ExprSpec, ValueSpec

__all__ = [
    "HIT_POLICIES",
    "CompiledTable",
    "ExpressionCell",
    "OutputExpression",
    "TableError",
    "TableResult",
    "compile_table",
    "compile_tables",
    "evaluate_table",
]

HIT_POLICIES = ("first", "unique", "priority", "collect")
"""The hit policies a table may declare."""

ExpressionCell = Callable[[CellSpec, Any], bool]
"""Evaluates an `=expression` cell with `?` bound to the input's value; true when it holds."""

OutputExpression = Callable[[ExprSpec], Any]
"""Evaluates an `=expression` output (over the table's inputs)."""


class TableError(ActionFailed):
    """A table cannot be compiled or evaluated: a cell that is not a unary test, an input
    of the wrong type, several matches under the `unique` hit policy. `rows` are the
    indexes of the rows involved (0-based, as in the `/rules/N` pointers)."""

    def __init__(self, table: str, message: str, rows: Sequence[int] = ()) -> None:
        super().__init__(f"decision table '{table}': {message}")
        self.table = table
        self.rows = tuple(rows)


@dataclass(frozen=True)
class TableResult:
    """What a lookup found: the outputs by name, and the indexes of the matching rows
    (0-based, in row order) for the run's trace."""

    table: str
    hit_policy: str
    outputs: Mapping[str, Any]
    rows: tuple[int, ...]

    @property
    def matched(self) -> bool:
        """True when at least one row matched."""
        return bool(self.rows)

    def describe(self) -> dict[str, Any]:
        """The result as a trace stores it (JSON-ready: numbers as exact text, dates ISO)."""
        return {
            "table": self.table,
            "hit_policy": self.hit_policy,
            "rows": list(self.rows),
            "outputs": {name: _plain(value) for name, value in self.outputs.items()},
        }


@dataclass(frozen=True, slots=True)
class _Cell:
    """One cell that can fail: a unary test, or an `=expression` (`test` None)."""

    input: str
    test: UnaryTest | None
    spec: CellSpec


@dataclass(frozen=True, slots=True)
class _Output:
    """One output of a row: its literal converted to the column's type, or an expression."""

    name: str
    literal: Any
    expr: ExprSpec | None


@dataclass(frozen=True, slots=True)
class _Row:
    index: int
    tests: tuple[_Cell, ...]  # unary tests first, then expressions; `-` cells left out
    outputs: tuple[_Output, ...]
    where: str


class CompiledTable:
    """A decision table with its cells parsed once; `evaluate` matches inputs against it."""

    def __init__(self, table: DecisionTableSpec, sources: SourceIndex | None = None) -> None:
        self.spec = table
        self.name = table.name
        if table.hit_policy not in HIT_POLICIES:
            raise TableError(
                self.name,
                f"unknown hit policy '{table.hit_policy}' (use one of {', '.join(HIT_POLICIES)})",
            )
        self.hit_policy = table.hit_policy
        self._input_types: Mapping[str, ValueType] = MappingProxyType(
            {column.name: ScopeBuilder.value_type_of(column.type) for column in table.inputs}
        )
        output_types = {c.name: ScopeBuilder.value_type_of(c.type) for c in table.outputs}
        names = list(output_types)
        for rule in table.rules:
            names.extend(n for n in rule.then if n not in names and not table.outputs)
        self.output_names: tuple[str, ...] = tuple(names)
        self._output_types: Mapping[str, ValueType] = MappingProxyType(
            {name: output_types.get(name, ValueType.ANY) for name in names}
        )
        self._rows = tuple(
            self._row(index, rule.when, rule.then, _where(rule.loc, sources))
            for index, rule in enumerate(table.rules)
        )

    @property
    def input_names(self) -> tuple[str, ...]:
        """The declared inputs, in order (empty when the table declares none)."""
        return tuple(self._input_types)

    @property
    def has_expressions(self) -> bool:
        """True when a cell or an output is an `=expression` (callbacks are needed)."""
        return any(
            any(cell.test is None for cell in row.tests)
            or any(output.expr is not None for output in row.outputs)
            for row in self._rows
        )

    def evaluate(
        self,
        inputs: Mapping[str, Any],
        *,
        expression_cell: ExpressionCell | None = None,
        output_expression: OutputExpression | None = None,
    ) -> TableResult:
        """The rows that match `inputs` under the hit policy, and their outputs.

        TableError for an unknown or missing input, an input of the wrong type, several
        matches of a `unique` table, or an `=expression` met without its callback.
        """
        values = self._inputs(inputs)
        single = self.hit_policy in ("first", "priority")
        matched: list[_Row] = []
        for row in self._rows:
            if self._matches(row, values, expression_cell):
                matched.append(row)
                if single:
                    break
        if self.hit_policy == "unique" and len(matched) > 1:
            where = "; ".join(f"row {row.index + 1} at {row.where}" for row in matched)
            raise TableError(
                self.name,
                f"{len(matched)} rows match, but the hit policy 'unique' allows one ({where}); "
                "make the rows' conditions exclusive, or use hit_policy: first",
                [row.index for row in matched],
            )
        rows = tuple(row.index for row in matched)
        if self.hit_policy == "collect":
            found = [self._outputs(row, output_expression) for row in matched]
            outputs: dict[str, Any] = {
                name: [values[name] for values in found] for name in self.output_names
            }
        elif matched:
            outputs = self._outputs(matched[0], output_expression)
        else:
            outputs = dict.fromkeys(self.output_names)
        return TableResult(self.name, self.hit_policy, MappingProxyType(outputs), rows)

    # -- compiling -------------------------------------------------------------------------

    def _row(
        self,
        index: int,
        when: Mapping[str, CellSpec],
        then: Mapping[str, ValueSpec],
        where: str,
    ) -> _Row:
        tests: list[_Cell] = []
        expressions: list[_Cell] = []
        for name, cell in when.items():
            if self._input_types and name not in self._input_types:
                raise TableError(
                    self.name,
                    f"row {index + 1} ({where}) tests '{name}', which is not an input "
                    f"(inputs: {', '.join(self._input_types)})",
                    [index],
                )
            if cell.expr is not None:
                expressions.append(_Cell(name, None, cell))
                continue
            input_type = self._input_types.get(name, ValueType.ANY)
            test, problems = parse_unary_test(cell.test, input_type)
            if test is None:
                detail = "; ".join(problem.message for problem in problems) or "not a unary test"
                raise TableError(
                    self.name,
                    f"row {index + 1} ({where}), the cell of '{name}' ({cell.test!r}): {detail}",
                    [index],
                )
            if test.kind != "any":
                tests.append(_Cell(name, test, cell))
        outputs: list[_Output] = []
        for name in self.output_names:
            value = then.get(name)
            if value is None:
                outputs.append(_Output(name, None, None))
            elif value.expr is not None:
                outputs.append(_Output(name, None, value.expr))
            else:
                outputs.append(
                    _Output(name, _output_literal(value.literal, self._output_types[name]), None)
                )
        return _Row(index, tuple(tests + expressions), tuple(outputs), where)

    # -- evaluating ------------------------------------------------------------------------

    def _inputs(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if not self._input_types:  # a table without declared inputs: take them as given
            return {name: to_number(value) for name, value in inputs.items()}
        unknown = [name for name in inputs if name not in self._input_types]
        if unknown:
            raise TableError(
                self.name,
                f"no input named {', '.join(repr(n) for n in unknown)} "
                f"(inputs: {', '.join(self._input_types)})",
            )
        missing = [name for name in self._input_types if name not in inputs]
        if missing:
            raise TableError(
                self.name,
                f"no value given for input {', '.join(repr(n) for n in missing)}; "
                "pass null for an empty value",
            )
        return {
            name: self._input(name, value_type, inputs[name])
            for name, value_type in self._input_types.items()
        }

    def _input(self, name: str, value_type: ValueType, value: Any) -> Any:
        if value is None:
            return None
        converted = _typed_input(value_type, value)
        if converted is _WRONG:
            raise TableError(
                self.name,
                f"input '{name}' is {_kind_phrase(value_type)}, "
                f"but the value given is {type(value).__name__} {value!r}",
            )
        return converted

    def _matches(
        self, row: _Row, values: Mapping[str, Any], expression_cell: ExpressionCell | None
    ) -> bool:
        for cell in row.tests:
            value = values.get(cell.input)
            if cell.test is not None:
                if not _holds(cell.test, value):
                    return False
                continue
            if expression_cell is None:
                raise TableError(
                    self.name,
                    f"row {row.index + 1} ({row.where}) tests '{cell.input}' with an =expression, "
                    "and no expression evaluator was given",
                    [row.index],
                )
            if expression_cell(cell.spec, value) is not True:
                return False
        return True

    def _outputs(self, row: _Row, output_expression: OutputExpression | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for output in row.outputs:
            if output.expr is None:
                found[output.name] = output.literal
                continue
            if output_expression is None:
                raise TableError(
                    self.name,
                    f"row {row.index + 1} ({row.where}) computes '{output.name}' with an "
                    "=expression, and no expression evaluator was given",
                    [row.index],
                )
            found[output.name] = to_number(output_expression(output.expr))
        return found


def compile_table(table: DecisionTableSpec, sources: SourceIndex | None = None) -> CompiledTable:
    """Parse a table's cells once (TableError when one is not a unary test). With the app's
    `sources`, errors name rows by file:line, else by file and JSON pointer."""
    return CompiledTable(table, sources)


def compile_tables(
    tables: Mapping[str, DecisionTableSpec], sources: SourceIndex | None = None
) -> Mapping[str, CompiledTable]:
    """Every table of an app, compiled, by name."""
    return MappingProxyType({name: compile_table(t, sources) for name, t in tables.items()})


def evaluate_table(
    table: DecisionTableSpec,
    inputs: Mapping[str, Any],
    *,
    expression_cell: ExpressionCell | None = None,
    output_expression: OutputExpression | None = None,
) -> TableResult:
    """Compile `table` and evaluate it once (keep a `CompiledTable` to look up repeatedly)."""
    return compile_table(table).evaluate(
        inputs, expression_cell=expression_cell, output_expression=output_expression
    )


# -- values --------------------------------------------------------------------------------

_WRONG = object()
"""Marks an input value of the wrong type."""


def _typed_input(value_type: ValueType, value: Any) -> Any:
    """`value` as its column's type, or `_WRONG`."""
    kind = value_type.kind
    if value_type.is_numeric:
        if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
            return _WRONG
        number = to_number(value)
        return number if number.is_finite() else _WRONG
    if kind is TypeKind.TEXT:
        return value if isinstance(value, str) else _WRONG
    if kind is TypeKind.BOOLEAN:
        return value if isinstance(value, bool) else _WRONG
    if kind is TypeKind.DATE:
        return value if isinstance(value, date) and not isinstance(value, datetime) else _WRONG
    if kind is TypeKind.DATETIME:
        return value if isinstance(value, date) else _WRONG
    if kind in (TypeKind.USER, TypeKind.TEAM):
        ok = isinstance(value, str | int) and not isinstance(value, bool)
        return value if ok else _WRONG
    return to_number(value)


def _kind_phrase(value_type: ValueType) -> str:
    if value_type.is_numeric:
        return f"{value_type.kind.value} (a number)"
    if value_type.kind is TypeKind.DATE:
        return "a date (a datetime must be turned into its local date first)"
    return str(value_type)


def _output_literal(literal: Any, value_type: ValueType) -> Any:
    """A literal output as its column's type: numbers as Decimal, an ISO date text as a
    date, a number in a text column as text."""
    if literal is None or isinstance(literal, bool):
        return literal
    if value_type.kind is TypeKind.TEXT and isinstance(literal, int | float | Decimal):
        return str(literal)
    if isinstance(literal, str) and value_type.is_temporal:
        try:
            if value_type.kind is TypeKind.DATE:
                return date.fromisoformat(literal)
            return datetime.fromisoformat(literal)
        except ValueError:
            return literal  # reported by `check` (X106)
    return to_number(literal)


def _holds(test: UnaryTest, value: Any) -> bool:
    """Whether `value` passes a unary test; NULL passes only `-`."""
    if test.kind == "any":
        return True
    if value is None:
        return False
    if test.kind == "equal":
        return _equal(value, test.values[0])
    if test.kind == "in":
        return any(_equal(value, option) for option in test.values)
    if test.kind == "compare":
        return _order(test.op or "==", value, test.values[0])
    low, high = test.values
    return _order(">=" if test.low_included else ">", value, low) and _order(
        "<=" if test.high_included else "<", value, high
    )


def _comparable(value: Any, other: Any) -> tuple[Any, Any] | None:
    """The two values ready to compare, or None when they are of different kinds (true/false
    is never a number; a datetime meets a date as its calendar date)."""
    if value is None or other is None or isinstance(value, bool) != isinstance(other, bool):
        return None
    if isinstance(value, datetime) and not isinstance(other, datetime) and isinstance(other, date):
        return value.date(), other
    return value, other


def _equal(value: Any, other: Any) -> bool:
    pair = _comparable(value, other)
    return pair is not None and bool(pair[0] == pair[1])


def _order(op: str, value: Any, other: Any) -> bool:
    pair = _comparable(value, other)
    if pair is None:
        return False
    left, right = pair
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        if op == ">=":
            return bool(left >= right)
        return bool(left == right)
    except TypeError:  # values of different kinds in an untyped column
        return False


def _where(loc: Loc, sources: SourceIndex | None) -> str:
    """A row's place for messages: file:line when the source is known, else the pointer."""
    position = sources.position(loc) if sources is not None else None
    if position is not None:
        return f"{loc.file}:{position.line} {loc.pointer}"
    return f"{loc.file} {loc.pointer}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
