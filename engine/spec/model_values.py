"""The small values every spec node is made of: labels, expressions, literal-or-expression
values, and the deep freezing that makes the spec immutable.

Labels: a per-locale map stays as written (`{en: Contract, zh: 合同}`); a plain string becomes
`{"*": text}` — the same text in every locale. `"*"` keeps "untranslated" distinguishable
from "translated into the default locale", and lets a document be built without knowing the
app's locales. `label_text` resolves either form for a locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.spec.document import Loc
from engine.spec.sourcemap import join_pointer

__all__ = [
    "ANY_LOCALE",
    "EMPTY_LABEL",
    "ExprSpec",
    "Label",
    "ValueSpec",
    "child_loc",
    "freeze",
    "frozen_map",
    "label_text",
]

ANY_LOCALE = "*"

Label = Mapping[str, str]
"""Locale → text; the single key `"*"` means the same text in every locale."""

EMPTY_LABEL: Label = MappingProxyType({})


def label_text(label: Label, locale: str, fallback: str = "") -> str:
    """The text of `label` for `locale`, else the untranslated text, else any text, else
    `fallback`."""
    if locale in label:
        return label[locale]
    if ANY_LOCALE in label:
        return label[ANY_LOCALE]
    for text in label.values():
        return text
    return fallback


def freeze(value: Any) -> Any:
    """Deep-freeze parsed YAML: dicts become read-only mappings, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def frozen_map(items: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of `items` (values kept as they are)."""
    return MappingProxyType(dict(items))


def child_loc(loc: Loc, *parts: str | int) -> Loc:
    """The location of a node below `loc` (JSON-pointer segments, escaped)."""
    return Loc(loc.file, join_pointer(loc.pointer, *parts))


@dataclass(frozen=True)
class ExprSpec:
    """An expression as written, and where: `offset` is where `text` starts inside the YAML
    string at `loc` (1 for the `=` of `"=today()"`), so problems map to exact columns."""

    text: str
    loc: Loc
    offset: int = 0


@dataclass(frozen=True)
class ValueSpec:
    """A value key (`default`, action `values`, `set`): a literal, or an `=expression`.

    `"\\\\=5"` in YAML (the text `\\=5`) is the literal string `=5`.
    """

    literal: Any
    expr: ExprSpec | None
    loc: Loc

    @property
    def is_expression(self) -> bool:
        """True when the value is computed by an expression."""
        return self.expr is not None

    @classmethod
    def parse(cls, raw: Any, loc: Loc) -> ValueSpec:
        """Classify a raw YAML value: `=text` is an expression, `\\=text` the literal `=text`."""
        if isinstance(raw, str) and raw.startswith("="):
            return cls(literal=None, expr=ExprSpec(raw[1:], loc, offset=1), loc=loc)
        if isinstance(raw, str) and raw.startswith("\\="):
            return cls(literal=raw[1:], expr=None, loc=loc)
        return cls(literal=freeze(raw), expr=None, loc=loc)
