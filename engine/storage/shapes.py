"""Shapes: what a field looks like in the database, independent of the field type's name.

`text`, `select`, `email` and `state` are all strings; `money` and `integer` are both
BIGINT but mean different things. A :class:`Shape` records exactly what matters to stored
data (kind, length, scale, minor unit, link target), serialises to a short string for the
schema snapshot (`string:200`, `money:2`, `link:customer`) and decides whether a change
keeps every stored value as it is (same), keeps it in a wider column (widen), or needs the
values converted (change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["COLUMN_KINDS", "Change", "Shape", "ShapeKind", "compare_shapes"]


class ShapeKind(StrEnum):
    """How a field is stored."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    USER = "user"
    TEAM = "team"
    LINK = "link"
    SUBFORM = "subform"
    CHOICES = "choices"
    FILES = "files"
    OTHER = "other"


COLUMN_KINDS = frozenset(ShapeKind) - {ShapeKind.SUBFORM, ShapeKind.CHOICES, ShapeKind.FILES}
"""Shapes stored in a column of the record's own table."""

USERNAME_LENGTH = 64

# The database type family of each kind: a shape read back from the live database
# (`coarse`) only knows its family, so e.g. `integer` also matches money and links.
_FAMILY: Mapping[ShapeKind, str] = {
    ShapeKind.STRING: "string",
    ShapeKind.USER: "string",
    ShapeKind.TEXT: "text",
    ShapeKind.INTEGER: "integer",
    ShapeKind.MONEY: "integer",
    ShapeKind.TEAM: "integer",
    ShapeKind.LINK: "integer",
    ShapeKind.DECIMAL: "decimal",
    ShapeKind.DATE: "date",
    ShapeKind.DATETIME: "datetime",
    ShapeKind.BOOLEAN: "boolean",
}


class Change(StrEnum):
    """What moving stored values from one shape to another does to them."""

    SAME = "same"
    WIDEN = "widen"
    CHANGE = "change"


@dataclass(frozen=True)
class Shape:
    """A storage shape; `coarse` shapes come from reflection and know only the family."""

    kind: ShapeKind
    size: int | None = None
    scale: int | None = None
    target: str | None = None
    coarse: bool = False

    @property
    def is_column(self) -> bool:
        """True when the field is a column of the record's table."""
        return self.kind in COLUMN_KINDS

    @property
    def family(self) -> str:
        """The database type family (string, integer, decimal …)."""
        return _FAMILY.get(self.kind, "other")

    def __str__(self) -> str:
        parts: list[str] = [self.kind.value]
        if self.kind is ShapeKind.LINK:
            parts.append(self.target or "")
        elif self.kind is ShapeKind.DECIMAL:
            parts += [str(self.size), str(self.scale)]
        elif self.kind is ShapeKind.MONEY:
            parts.append(str(self.scale))
        elif self.kind is ShapeKind.STRING:
            parts.append(str(self.size))
        return ":".join(parts)

    @classmethod
    def parse(cls, text: str) -> Shape:
        """The shape written by `str(shape)` (unknown kinds become OTHER)."""
        kind_text, *rest = text.split(":")
        try:
            kind = ShapeKind(kind_text)
        except ValueError:
            return cls(ShapeKind.OTHER)
        if kind is ShapeKind.LINK:
            return cls(kind, target=rest[0] if rest else None)
        numbers = [int(part) for part in rest if part.lstrip("-").isdigit()]
        if kind is ShapeKind.DECIMAL and len(numbers) == 2:
            return cls(kind, size=numbers[0], scale=numbers[1])
        if kind is ShapeKind.MONEY and numbers:
            return cls(kind, scale=numbers[0])
        if kind is ShapeKind.STRING and numbers:
            return cls(kind, size=numbers[0])
        return cls(kind)

    def describe(self) -> str:
        """The shape in words, for migration plans."""
        if self.coarse:
            return _describe_coarse(self)
        words = {
            ShapeKind.TEXT: "long text",
            ShapeKind.INTEGER: "whole number",
            ShapeKind.DATE: "date",
            ShapeKind.DATETIME: "date and time",
            ShapeKind.BOOLEAN: "yes/no",
            ShapeKind.USER: "user",
            ShapeKind.TEAM: "team",
            ShapeKind.SUBFORM: "subform rows",
            ShapeKind.CHOICES: "multiple choices",
            ShapeKind.FILES: "attachments",
            ShapeKind.OTHER: "unknown type",
        }
        if self.kind is ShapeKind.STRING:
            return f"text of up to {self.size} characters"
        if self.kind is ShapeKind.DECIMAL:
            return f"number with {self.scale} decimal places"
        if self.kind is ShapeKind.MONEY:
            return f"money with {self.scale} decimal places"
        if self.kind is ShapeKind.LINK:
            return f"link to {self.target}"
        return words[self.kind]


def _describe_coarse(shape: Shape) -> str:
    if shape.kind is ShapeKind.STRING:
        return f"a VARCHAR({shape.size}) column"
    if shape.kind is ShapeKind.DECIMAL:
        return f"a NUMERIC({shape.size}, {shape.scale}) column"
    return f"a {shape.family.upper()} column"


def compare_shapes(old: Shape, new: Shape, renamed: Mapping[str, str] | None = None) -> Change:
    """What storing `old` values as `new` does; `renamed` maps old entity names to new ones
    (a link to a renamed entity is the same link)."""
    if old.coarse:
        return _compare_family(old, new)
    if old.kind is ShapeKind.LINK and new.kind is ShapeKind.LINK:
        target = (renamed or {}).get(old.target or "", old.target)
        return Change.SAME if target == new.target else Change.CHANGE
    if old == new:
        return Change.SAME
    return _string_growth(old, new)


def _string_growth(old: Shape, new: Shape) -> Change:
    if old.kind is ShapeKind.STRING and new.kind is ShapeKind.TEXT:
        return Change.WIDEN
    if old.kind is ShapeKind.STRING and new.kind is ShapeKind.STRING:
        return Change.WIDEN if (new.size or 0) > (old.size or 0) else Change.CHANGE
    return Change.CHANGE


def _compare_family(old: Shape, new: Shape) -> Change:
    if old.family != new.family:
        return _string_growth(old, new) if old.kind is ShapeKind.STRING else Change.CHANGE
    if old.kind is ShapeKind.STRING:
        size = USERNAME_LENGTH if new.kind is ShapeKind.USER else new.size
        if size == old.size:
            return Change.SAME
        return Change.WIDEN if (size or 0) > (old.size or 0) else Change.CHANGE
    if old.kind is ShapeKind.DECIMAL:
        same = (old.size, old.scale) == (new.size, new.scale)
        return Change.SAME if same else Change.CHANGE
    return Change.SAME
