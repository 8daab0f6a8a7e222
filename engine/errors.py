"""Exceptions that cross layers. User mistakes in YAML are diagnostics, not exceptions."""

from __future__ import annotations

__all__ = ["AppInvalid", "FormworkError"]


class FormworkError(Exception):
    """Base of every error Formwork raises on purpose."""


class AppInvalid(FormworkError):
    """An app folder has errors and cannot be built; carries the diagnostics."""

    def __init__(self, diagnostics: list[object]) -> None:
        super().__init__(f"the app has {len(diagnostics)} problem(s); run `formwork check`")
        self.diagnostics = diagnostics
