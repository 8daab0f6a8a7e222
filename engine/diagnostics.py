"""Diagnostics for YAML authors: one record type, sorted, rendered as text or JSON.

Every phase (Y syntax, S schema, R references, X expressions, P plugins, W warnings)
reports problems as :class:`Diagnostic` values; nothing here raises for a user error.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

__all__ = [
    "Diagnostic",
    "Severity",
    "did_you_mean",
    "has_errors",
    "render_json",
    "render_text",
    "sort_diagnostics",
]


class Severity(StrEnum):
    """How bad a diagnostic is: errors fail `check`, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=False)
class Diagnostic:
    """One problem found in an app folder, located by file, line, column and JSON pointer."""

    code: str
    message: str
    file: str = ""
    line: int = 0
    col: int = 0
    pointer: str = ""
    hint: str | None = None
    severity: Severity = Severity.ERROR
    related: tuple[str, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Files, then position, then code: the order authors read them in."""
        return (self.file, self.line, self.col, self.code, self.pointer)

    def location(self) -> str:
        """`path:line:col`, or as much of it as is known."""
        if not self.file:
            return "<app>"
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"

    def to_text(self) -> str:
        """The STYLE.md two-or-three-line form."""
        head = f"{self.location()}: {self.severity.value} {self.code} {self.pointer or '/'}"
        lines = [head, f"  {self.message}"]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        lines.extend(f"  see: {r}" for r in self.related)
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (used by `check --format json` and the API)."""
        data = asdict(self)
        data["severity"] = self.severity.value
        data["related"] = list(self.related)
        return data


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort and drop exact duplicates."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when at least one diagnostic is an error."""
    return any(d.severity is Severity.ERROR for d in diagnostics)


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    """All diagnostics, sorted, followed by a one-line summary."""
    ordered = sort_diagnostics(diagnostics)
    errors = sum(1 for d in ordered if d.severity is Severity.ERROR)
    warnings = len(ordered) - errors
    body = "\n".join(d.to_text() for d in ordered)
    summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    return f"{body}\n{summary}" if body else summary


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """All diagnostics, sorted, as a JSON document."""
    ordered = sort_diagnostics(diagnostics)
    return json.dumps(
        {
            "ok": not has_errors(ordered),
            "diagnostics": [d.to_json() for d in ordered],
        },
        ensure_ascii=False,
        indent=2,
    )


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest existing name, phrased as a hint, or None when nothing is close."""
    names = sorted(set(candidates))
    matches = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if not matches and word:
        lowered = {n.lower(): n for n in names}
        hit = lowered.get(word.lower())
        matches = [hit] if hit else []
    return f"did you mean '{matches[0]}'?" if matches else None
