"""Field problems collected while a record is prepared, rendered in the actor's locale.

A problem is a catalog `Message` (the engine's own wording) or a `Label` written in the
app's YAML (a validation's `message`, a `pattern_message`). Keys are field names,
`lines.2.qty` for a subform row's field (rows counted from 0), or `__all__` for the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import ValidationFailed
from engine.runtime.messages import Message, render
from engine.spec.model import Label, label_text

__all__ = ["RECORD_KEY", "Problem", "Problems"]

RECORD_KEY = "__all__"

Problem = Message | Label


@dataclass
class Problems:
    """Problems by key, in the order they were found."""

    found: dict[str, list[Problem]] = field(default_factory=dict)

    def add(self, key: str, problem: Problem) -> None:
        """Note a problem at `key` (the same problem is kept once)."""
        listed = self.found.setdefault(key, [])
        if problem not in listed:
            listed.append(problem)

    def has(self, key: str) -> bool:
        """True when `key` has a problem."""
        return key in self.found

    def __bool__(self) -> bool:
        return bool(self.found)

    def render(self, locale: str | None) -> dict[str, list[str]]:
        """Every problem as text in `locale`."""
        return {key: [_text(p, locale) for p in items] for key, items in self.found.items()}

    def raise_if_any(self, locale: str | None) -> None:
        """Raise ValidationFailed with every problem, when there are any."""
        if self.found:
            raise ValidationFailed(self.render(locale))


def _text(problem: Problem, locale: str | None) -> str:
    if isinstance(problem, Message):
        return render(problem, locale)
    return label_text(problem, locale or "en")
