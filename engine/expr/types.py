"""The value types of the expression language and the rules that relate them.

A :class:`ValueType` is what the checker infers for every node: a kind (text, money, date …)
plus, for records, the entity name and, for lists, the element type. Which kinds may be
compared, combined or substituted for each other is decided here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "IDENTITY_KINDS",
    "NUMERIC_KINDS",
    "TypeKind",
    "ValueType",
    "common_type",
    "value_phrase",
]


class TypeKind(StrEnum):
    """The kinds of value an expression can produce."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    MONEY = "money"
    PERCENT = "percent"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    USER = "user"
    TEAM = "team"
    RECORD = "record"
    LIST = "list"
    NULL = "null"
    ANY = "any"


NUMERIC_KINDS = frozenset({TypeKind.NUMBER, TypeKind.INTEGER, TypeKind.MONEY, TypeKind.PERCENT})
"""Kinds that are numbers: all inter-comparable and usable in arithmetic."""

IDENTITY_KINDS = frozenset({TypeKind.USER, TypeKind.TEAM, TypeKind.RECORD})
"""Kinds whose value is a reference (username, team id, record id)."""


@dataclass(frozen=True, slots=True)
class ValueType:
    """A type: its kind, the entity of a record, the element type of a list."""

    kind: TypeKind
    entity: str | None = None
    element: ValueType | None = None

    TEXT: ClassVar[ValueType]
    NUMBER: ClassVar[ValueType]
    INTEGER: ClassVar[ValueType]
    MONEY: ClassVar[ValueType]
    PERCENT: ClassVar[ValueType]
    BOOLEAN: ClassVar[ValueType]
    DATE: ClassVar[ValueType]
    DATETIME: ClassVar[ValueType]
    USER: ClassVar[ValueType]
    TEAM: ClassVar[ValueType]
    NULL: ClassVar[ValueType]
    ANY: ClassVar[ValueType]

    @staticmethod
    def record(entity: str) -> ValueType:
        """The type of a link to a record of `entity`."""
        return ValueType(TypeKind.RECORD, entity=entity)

    @staticmethod
    def list_of(element: ValueType) -> ValueType:
        """The type of a list (subform rows, a list literal) of `element`."""
        return ValueType(TypeKind.LIST, element=element)

    @property
    def is_numeric(self) -> bool:
        """True for number, integer, money and percent."""
        return self.kind in NUMERIC_KINDS

    @property
    def is_unknown(self) -> bool:
        """True for NULL and ANY, which fit wherever a value is expected."""
        return self.kind in (TypeKind.NULL, TypeKind.ANY)

    @property
    def is_temporal(self) -> bool:
        """True for date and datetime."""
        return self.kind in (TypeKind.DATE, TypeKind.DATETIME)

    def __repr__(self) -> str:
        if self.kind is TypeKind.RECORD:
            return f"ValueType.record({self.entity!r})"
        if self.kind is TypeKind.LIST:
            return f"ValueType.list_of({self.element!r})"
        return f"ValueType.{self.kind.name}"

    def __str__(self) -> str:
        if self.kind is TypeKind.RECORD:
            return f"link to {self.entity}"
        if self.kind is TypeKind.LIST:
            return f"list of {self.element}"
        if self.kind is TypeKind.BOOLEAN:
            return "true/false"
        if self.kind is TypeKind.NULL:
            return "None"
        return self.kind.value

    def family(self) -> str:
        """The comparison family: numbers are one family, date and datetime another."""
        if self.is_numeric:
            return "number"
        if self.is_temporal:
            return "date"
        if self.kind is TypeKind.RECORD:
            return f"record:{self.entity}"
        return self.kind.value

    def accepts(self, other: ValueType) -> bool:
        """True when a value of `other` may be used where `self` is expected."""
        if self.is_unknown or other.is_unknown:
            return True
        if self.kind is TypeKind.LIST and other.kind is TypeKind.LIST:
            assert self.element is not None and other.element is not None
            return self.element.accepts(other.element)
        if self.kind is TypeKind.DATETIME and other.kind is TypeKind.DATE:
            return False
        return self.family() == other.family()


ValueType.TEXT = ValueType(TypeKind.TEXT)
ValueType.NUMBER = ValueType(TypeKind.NUMBER)
ValueType.INTEGER = ValueType(TypeKind.INTEGER)
ValueType.MONEY = ValueType(TypeKind.MONEY)
ValueType.PERCENT = ValueType(TypeKind.PERCENT)
ValueType.BOOLEAN = ValueType(TypeKind.BOOLEAN)
ValueType.DATE = ValueType(TypeKind.DATE)
ValueType.DATETIME = ValueType(TypeKind.DATETIME)
ValueType.USER = ValueType(TypeKind.USER)
ValueType.TEAM = ValueType(TypeKind.TEAM)
ValueType.NULL = ValueType(TypeKind.NULL)
ValueType.ANY = ValueType(TypeKind.ANY)


def _numeric_join(a: ValueType, b: ValueType) -> ValueType:
    if a == b:
        return a
    if TypeKind.MONEY in (a.kind, b.kind):
        return ValueType.MONEY
    return ValueType.NUMBER


def common_type(types: list[ValueType]) -> ValueType | None:
    """The type of a value that may come from any of `types` (None when they don't mix).

    NULL and ANY mix with everything; numbers join to the widest numeric kind; a date mixed
    with a datetime does not join (one of them would silently change meaning).
    """
    known = [t for t in types if not t.is_unknown]
    if not known:
        return ValueType.ANY if any(t.kind is TypeKind.ANY for t in types) else ValueType.NULL
    result = known[0]
    for other in known[1:]:
        if result.is_numeric and other.is_numeric:
            result = _numeric_join(result, other)
        elif result != other and not (result.kind is TypeKind.LIST and result.accepts(other)):
            return None
    return result


_PHRASES: dict[TypeKind, str] = {
    TypeKind.TEXT: "text",
    TypeKind.NUMBER: "a number",
    TypeKind.INTEGER: "an integer",
    TypeKind.MONEY: "money",
    TypeKind.PERCENT: "a percentage",
    TypeKind.BOOLEAN: "true/false",
    TypeKind.DATE: "a date",
    TypeKind.DATETIME: "a date and time",
    TypeKind.USER: "a user",
    TypeKind.TEAM: "a team",
    TypeKind.NULL: "None",
    TypeKind.ANY: "any value",
}


def value_phrase(value_type: ValueType) -> str:
    """How a sentence names a value of the type: "text", "money", "a user", "an integer"."""
    if value_type.kind is TypeKind.RECORD:
        return f"a link to {value_type.entity}"
    if value_type.kind is TypeKind.LIST:
        return f"a list of {value_type.element}"
    return _PHRASES[value_type.kind]
