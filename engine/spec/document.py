"""Loaded YAML documents and their locations: `Loc`, `Document` and `SourceIndex`.

A `Loc` (file + JSON pointer) is what every spec value carries instead of a line number;
the `SourceIndex` turns it into a positioned `Diagnostic` when something is wrong there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.diagnostics import Diagnostic, Severity
from engine.spec.sourcemap import Position, SourceMap

__all__ = ["DOCUMENT_KINDS", "Document", "Loc", "SourceIndex"]

# The first key of a file names its kind.
DOCUMENT_KINDS: tuple[str, ...] = ("app", "entity", "automation", "table", "dashboard", "suite")


@dataclass(frozen=True)
class Loc:
    """A place in an app folder: a file (relative, posix separators) and a JSON pointer."""

    file: str
    pointer: str = ""


@dataclass(frozen=True)
class Document:
    """One YAML file of an app folder, parsed: its kind, its name, its data and source map."""

    file: str
    kind: str
    name: str | None
    data: Any
    source: SourceMap

    @property
    def loc(self) -> Loc:
        """The location of the whole document."""
        return Loc(self.file, "")


class SourceIndex(Mapping[str, SourceMap]):
    """The source maps of all loaded files, by file; resolves locations to line:col."""

    def __init__(self, sources: Mapping[str, SourceMap] | None = None) -> None:
        self._sources: dict[str, SourceMap] = dict(sources or {})

    def __getitem__(self, file: str) -> SourceMap:
        return self._sources[file]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def position(
        self, loc: Loc, *, key: bool = False, offset: int | None = None
    ) -> Position | None:
        """The line:col of `loc` (its key, or a character of its scalar); None if unknown."""
        source = self._sources.get(loc.file)
        if source is None:
            return None
        if offset is not None:
            return source.in_scalar(loc.pointer, offset)
        return source.key(loc.pointer) if key else source.value(loc.pointer)

    def diagnostic(
        self,
        code: str,
        message: str,
        loc: Loc,
        *,
        hint: str | None = None,
        key: bool = False,
        offset: int | None = None,
        severity: Severity = Severity.ERROR,
        related: tuple[str, ...] = (),
    ) -> Diagnostic:
        """A diagnostic at `loc`: key=True points at its key, `offset` into its scalar text."""
        position = self.position(loc, key=key, offset=offset)
        return Diagnostic(
            code=code,
            message=message,
            file=loc.file,
            line=position.line if position else 0,
            col=position.col if position else 0,
            pointer=loc.pointer,
            hint=hint,
            severity=severity,
            related=related,
        )
