"""The reading side of recipe parsing: a walker over the parsed YAML data that checks
shapes and collects every problem as a located diagnostic (D101–D105)."""

from __future__ import annotations

from typing import Any

from engine.diagnostics import Diagnostic, did_you_mean
from engine.spec.sourcemap import SourceMap, join_pointer

__all__ = ["RecipeReader"]


class RecipeReader:
    """Walks a recipe's parsed data once, collecting every problem with its position."""

    def __init__(self, file: str, source: SourceMap) -> None:
        self.file = file
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def error(
        self,
        code: str,
        pointer: str,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
        offset: int | None = None,
    ) -> None:
        """Report a problem at the node (or its key, or a character of a scalar)."""
        if offset is not None:
            at = self.source.in_scalar(pointer, offset)
        else:
            at = self.source.key(pointer) if key else self.source.value(pointer)
        self.diagnostics.append(
            Diagnostic(code, message, self.file, at.line, at.col, pointer or "/", hint)
        )

    def mapping(self, data: Any, pointer: str, keys: tuple[str, ...], what: str) -> dict[str, Any]:
        """The node as a mapping (empty when it is not one); unknown keys are reported."""
        if not isinstance(data, dict):
            self.error("D101", pointer, f"{what} must be a mapping")
            return {}
        for key in data:
            if key not in keys:
                hint = did_you_mean(key, keys)
                at = join_pointer(pointer, key)
                self.error("D102", at, f"'{key}' is not a key of {what}", hint, key=True)
        return data

    def require(self, data: dict[str, Any], key: str, pointer: str, what: str) -> bool:
        """True when `key` is present; reported when it is missing."""
        if key in data:
            return True
        self.error("D103", pointer, f"{what} needs '{key}'")
        return False

    def typed(self, value: Any, kind: type | tuple[type, ...], pointer: str, what: str) -> bool:
        """True when `value` is of `kind` (a bool is no integer); reported otherwise."""
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            self.error("D101", pointer, f"{what} must be {_kind_name(kind)}")
        return ok

    def bounds(self, value: Any, pointer: str, what: str) -> tuple[int, int] | None:
        """`[low, high]` integers with low <= high (a single integer means both)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
        ints = isinstance(value, list) and len(value) == 2
        if not ints or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            self.error("D101", pointer, f"{what} must be [low, high] (two integers)")
            return None
        if value[0] > value[1]:
            self.error("D105", pointer, f"{what}: {value[0]} is greater than {value[1]}")
            return None
        return value[0], value[1]


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)
