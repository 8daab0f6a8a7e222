"""Decision tables: typed inputs and outputs, rules of unary-test cells, a hit policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.spec.document import Loc
from engine.spec.model_values import ExprSpec, Label, ValueSpec

__all__ = ["CellSpec", "DecisionTableSpec", "TableColumnSpec", "TableRuleSpec"]


@dataclass(frozen=True)
class TableColumnSpec:
    """An input or output of a decision table."""

    name: str
    type: str
    label: Label
    loc: Loc


@dataclass(frozen=True)
class CellSpec:
    """A `when` cell as written: a unary test (`-`, a literal, `< 5`, `[1 .. 5]`, `in [...]`),
    or an `=expression` where `?` stands for the input (then `expr` is set)."""

    test: Any
    expr: ExprSpec | None
    loc: Loc

    @property
    def matches_anything(self) -> bool:
        """True for the `-` cell."""
        return isinstance(self.test, str) and self.test.strip() == "-"


@dataclass(frozen=True)
class TableRuleSpec:
    """One row: input tests (`when`) and output values (`then`)."""

    when: Mapping[str, CellSpec]
    then: Mapping[str, ValueSpec]
    loc: Loc


@dataclass(frozen=True)
class DecisionTableSpec:
    """A decision table (`lookup('name', input=value)` or the `lookup` action)."""

    name: str
    label: Label
    hit_policy: str  # first | unique | collect | priority
    inputs: tuple[TableColumnSpec, ...]
    outputs: tuple[TableColumnSpec, ...]
    rules: tuple[TableRuleSpec, ...]
    loc: Loc

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs' names, in order."""
        return tuple(column.name for column in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        """The outputs' names, in order."""
        return tuple(column.name for column in self.outputs)
