"""The `FunctionType` registry entry of expression functions and how its arguments are checked.

A function declares how many arguments it takes, which kinds each accepts, how its result
type follows from the argument types, its Python implementation `(context, *args)` and,
optionally, a SQL implementation `(context, *clauses)` (typed `Any`: this package never
imports SQLAlchemy). The built-ins are listed in `engine.expr.functions`; their SQL side
lives in `engine/storage/sql_functions.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.expr.types import NUMERIC_KINDS, TypeKind, ValueType, common_type

__all__ = [
    "ANY_KINDS",
    "DATE_KINDS",
    "NUMBER_KINDS",
    "ORDERED_KINDS",
    "TEXT_KINDS",
    "FunctionType",
    "ReturnRule",
    "common_of_args",
    "function_registry",
    "same_as_first",
]

ANY_KINDS = frozenset(TypeKind) - {TypeKind.LIST}
"""Any single value."""
NUMBER_KINDS = NUMERIC_KINDS
TEXT_KINDS = frozenset({TypeKind.TEXT})
DATE_KINDS = frozenset({TypeKind.DATE, TypeKind.DATETIME})
ORDERED_KINDS = NUMERIC_KINDS | TEXT_KINDS | DATE_KINDS
"""Kinds with an order (min, max)."""

ReturnRule = Callable[[Sequence[ValueType]], ValueType]


def same_as_first(args: Sequence[ValueType]) -> ValueType:
    """The result has the type of the first argument (abs, round)."""
    return args[0] if args else ValueType.ANY


def common_of_args(args: Sequence[ValueType]) -> ValueType:
    """The result has the common type of all arguments (coalesce, min, max)."""
    return common_type(list(args)) or ValueType.ANY


def _kind_names(kinds: frozenset[TypeKind]) -> str:
    if kinds >= NUMERIC_KINDS and not kinds - NUMERIC_KINDS:
        return "a number"
    if kinds == DATE_KINDS:
        return "a date"
    if kinds >= ORDERED_KINDS:
        return "a number, text or date"
    return " or ".join(sorted(k.value for k in kinds))


@dataclass(frozen=True, slots=True)
class FunctionType:
    """A function callable from expressions.

    `arg_kinds[i]` lists the kinds accepted at position i; a variadic function repeats the
    last entry. With `same_kind_args` all arguments must mix (coalesce, min, max). With
    `null_propagates` any NULL argument gives NULL without calling `python`. An `aggregate`
    takes subform columns (lists) and has no SQL form. `sql`, when given, is called as
    `sql(context, *clauses)` by the SQL compiler; `builtin_sql` marks the functions whose SQL
    form the storage layer itself provides.
    """

    name: str
    min_args: int
    max_args: int | None
    arg_kinds: tuple[frozenset[TypeKind], ...]
    returns: ValueType | ReturnRule
    python: Callable[..., Any]
    description: str
    example: str = ""
    same_kind_args: bool = False
    null_propagates: bool = True
    aggregate: bool = False
    sql: Any = None
    builtin_sql: bool = False

    @property
    def usable_in_sql(self) -> bool:
        """True when the function can be compiled into a database filter."""
        return not self.aggregate and (self.sql is not None or self.builtin_sql)

    def arity_text(self) -> str:
        """'2 arguments', '1 to 2 arguments', 'at least 2 arguments'."""
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' * (self.min_args != 1)}"
        if self.min_args == self.max_args:
            return f"{self.min_args} argument{'s' * (self.min_args != 1)}"
        return f"{self.min_args} to {self.max_args} arguments"

    def accepts_count(self, count: int) -> bool:
        """True when `count` arguments are allowed."""
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)

    def kinds_at(self, index: int) -> frozenset[TypeKind]:
        """The kinds accepted at argument position `index`."""
        if not self.arg_kinds:
            return ANY_KINDS
        return self.arg_kinds[min(index, len(self.arg_kinds) - 1)]

    def argument_problems(self, args: Sequence[ValueType]) -> list[tuple[int, str]]:
        """(argument index, message) for every argument of the wrong type."""
        found: list[tuple[int, str]] = []
        for index, arg in enumerate(args):
            message = self._argument_problem(index, arg)
            if message:
                found.append((index, message))
        if not found and self.same_kind_args and common_type(list(args)) is None:
            kinds = ", ".join(str(a) for a in args)
            found.append((0, f"the arguments of {self.name}() must be of one kind, got {kinds}"))
        return found

    def _argument_problem(self, index: int, arg: ValueType) -> str | None:
        kinds = self.kinds_at(index)
        position = f"argument {index + 1} of {self.name}()"
        if self.aggregate:
            if arg.kind is TypeKind.ANY:
                return None
            if arg.kind is not TypeKind.LIST or arg.element is None:
                return f"{position} must be a subform column (like lines.amount), got {arg}"
            arg = arg.element
        if arg.is_unknown or arg.kind in kinds:
            return None
        return f"{position} must be {_kind_names(kinds)}, got {arg}"

    def return_type(self, args: Sequence[ValueType]) -> ValueType:
        """The result type for these argument types."""
        if isinstance(self.returns, ValueType):
            return self.returns
        return self.returns(args)


def function_registry(*groups: Iterable[FunctionType]) -> Mapping[str, FunctionType]:
    """A read-only name → function map; later groups override earlier ones (plugins)."""
    table: dict[str, FunctionType] = {}
    for group in groups:
        for function in group:
            table[function.name] = function
    return MappingProxyType(table)
