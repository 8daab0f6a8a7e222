"""Tolerant reading of one parsed YAML node while building the spec.

Schema validation runs before building, but the builder must never crash on a value of the
wrong shape (a document may be only partly valid, and mutated YAML must always yield
diagnostics): every accessor returns a default when the value is missing or ill-typed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engine.spec.document import Loc
from engine.spec.durations import parse_duration
from engine.spec.model_values import (
    ANY_LOCALE,
    EMPTY_LABEL,
    ExprSpec,
    Label,
    ValueSpec,
    child_loc,
    freeze,
    frozen_map,
)

__all__ = ["YamlNode"]


@dataclass(frozen=True)
class YamlNode:
    """A parsed YAML value and its location, with typed, forgiving accessors."""

    data: Any
    loc: Loc

    def get(self, key: str, default: Any = None) -> Any:
        """The raw value of `key` (mapping nodes only)."""
        return self.data.get(key, default) if isinstance(self.data, Mapping) else default

    def has(self, key: str) -> bool:
        """True when this is a mapping with `key`."""
        return isinstance(self.data, Mapping) and key in self.data

    def child(self, *parts: str | int) -> YamlNode:
        """The node below this one (missing parts read as None)."""
        data = self.data
        for part in parts:
            if isinstance(data, Mapping):
                data = data.get(part)
            elif isinstance(data, list | tuple) and isinstance(part, int) and part < len(data):
                data = data[part]
            else:
                data = None
        return YamlNode(data, child_loc(self.loc, *parts))

    def at(self, *parts: str | int) -> Loc:
        """The location of a node below this one."""
        return child_loc(self.loc, *parts)

    def items(self) -> Iterator[tuple[str, YamlNode]]:
        """(key, child) pairs of a mapping, in document order; nothing otherwise."""
        if isinstance(self.data, Mapping):
            for key in self.data:
                if isinstance(key, str):
                    yield key, self.child(key)

    def elements(self) -> Iterator[tuple[int, YamlNode]]:
        """(index, child) pairs of a list; nothing otherwise."""
        if isinstance(self.data, list | tuple):
            for index in range(len(self.data)):
                yield index, self.child(index)

    def text(self, key: str, default: str | None = None) -> str | None:
        """A string value, or `default`."""
        value = self.get(key)
        return value if isinstance(value, str) else default

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean value, or `default`."""
        value = self.get(key)
        return value if isinstance(value, bool) else default

    def integer(self, key: str, default: int | None = None) -> int | None:
        """An integer value (not a boolean), or `default`."""
        value = self.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def number(self, key: str) -> float | None:
        """A numeric value, or None."""
        value = self.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    def names(self, key: str) -> tuple[str, ...]:
        """A name or a list of names (non-strings dropped)."""
        value = self.get(key)
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list | tuple):
            return tuple(item for item in value if isinstance(item, str))
        return ()

    def label(self, key: str) -> Label:
        """A label: a plain string becomes `{"*": text}`, a locale map is kept."""
        return _label(self.get(key))

    def optional_label(self, key: str) -> Label | None:
        """A label, or None when the key is absent."""
        return _label(self.get(key)) if self.has(key) else None

    def expr(self, key: str) -> ExprSpec | None:
        """An expression-valued key (the text is the expression)."""
        value = self.get(key)
        return ExprSpec(value, self.at(key)) if isinstance(value, str) else None

    def value(self, key: str) -> ValueSpec | None:
        """A value key: literal, or `=expression`."""
        return ValueSpec.parse(self.get(key), self.at(key)) if self.has(key) else None

    def values(self, key: str) -> Mapping[str, ValueSpec]:
        """A map of name → value (action `values`, transition `set`, step inputs)."""
        node = self.child(key)
        return frozen_map(
            {name: ValueSpec.parse(item.data, item.loc) for name, item in node.items()}
        )

    def duration(self, key: str) -> timedelta | None:
        """A duration string parsed, or None when absent or malformed (the schema says why)."""
        value = self.get(key)
        if not isinstance(value, str):
            return None
        try:
            return parse_duration(value)
        except ValueError:
            return None

    def frozen(self) -> Any:
        """The whole value, deep-frozen."""
        return freeze(self.data)


def _label(value: Any) -> Label:
    if isinstance(value, str):
        return frozen_map({ANY_LOCALE: value})
    if isinstance(value, Mapping):
        return frozen_map(
            {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
        )
    return EMPTY_LABEL
