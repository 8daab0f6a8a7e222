"""The hook-implementation marker the built-ins register with.

Built-ins sit below `engine.plugins` in the layering, so they make their own marker for the
"formwork" project; pluggy matches markers by project name, so it is the same marker that
`engine.plugins.hookimpl` gives third-party plugins.
"""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT", "hookimpl"]

PROJECT = "formwork"
"""The pluggy project name shared by hook specifications and implementations."""

hookimpl = pluggy.HookimplMarker(PROJECT)
