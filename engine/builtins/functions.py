"""The built-in expression functions (owned by `engine.expr`), declared through
`formwork_functions` like any plugin's."""

from __future__ import annotations

from engine.builtins.hooks import hookimpl
from engine.expr import BUILTIN_FUNCTIONS, FunctionType

__all__ = ["formwork_functions"]


@hookimpl
def formwork_functions() -> list[FunctionType]:
    """The expression language's built-in functions."""
    return list(BUILTIN_FUNCTIONS)
