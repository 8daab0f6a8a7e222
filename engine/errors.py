"""Exceptions that cross layers. User mistakes in YAML are diagnostics, not exceptions.

The service errors (`NotFound`, `Forbidden`, `BadRequest`, `ValidationFailed`, `Conflict`)
each map to one HTTP status in `web/` (404, 403, 400, 422, 409); `code` is the stable name
API clients and scenario tests (`expect_error: {code: …}`) match on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "AppInvalid",
    "AutomationFailed",
    "BadRequest",
    "Conflict",
    "DeleteRestricted",
    "Forbidden",
    "FormworkError",
    "NotFound",
    "ValidationFailed",
]


class FormworkError(Exception):
    """Base of every error Formwork raises on purpose."""


class AppInvalid(FormworkError):
    """An app folder has errors and cannot be built; carries the diagnostics."""

    def __init__(self, diagnostics: list[object]) -> None:
        super().__init__(f"the app has {len(diagnostics)} problem(s); run `formwork check`")
        self.diagnostics = diagnostics


class NotFound(FormworkError):
    """No such record, entity or user — or one the actor may not know exists."""

    code = "not_found"


class Forbidden(FormworkError):
    """The actor knows the thing exists but may not do this to it."""

    code = "forbidden"


class BadRequest(FormworkError):
    """The request itself is malformed: a broken filter, an unknown sort key, a bad cursor."""

    code = "bad_request"


class ValidationFailed(FormworkError):
    """The values do not pass validation; `fields` maps a field (or `__all__`, or
    `lines.2.qty` for a subform row) to its messages, in the actor's language."""

    code = "validation_failed"

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self.fields: dict[str, list[str]] = {name: list(texts) for name, texts in fields.items()}
        summary = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in self.fields.items())
        super().__init__(f"validation failed ({summary})")


class Conflict(FormworkError):
    """The record changed since it was read (stale version); nothing was written."""

    code = "conflict"

    def __init__(self, current_version: int, message: str | None = None) -> None:
        self.current_version = current_version
        super().__init__(
            message
            or f"the record was changed by someone else (now at version {current_version}); "
            "reload it and apply your change again"
        )


class AutomationFailed(FormworkError):
    """An automation run inside a change failed, so the change was not made. `automation`
    names it, `where` is the YAML place of the failing condition or action
    (`rules/x.yaml:12`), `trace` the run as it stood (written after the rollback)."""

    code = "automation_failed"

    def __init__(
        self, automation: str, where: str | None, message: str, trace: Mapping[str, object]
    ) -> None:
        self.automation = automation
        self.where = where
        self.reason = message
        self.trace = dict(trace)
        place = f" at {where}" if where else ""
        super().__init__(f"the automation '{automation}' failed{place}: {message}")


class DeleteRestricted(Conflict):
    """A delete refused because live records still link to the record (`on_delete:
    restrict`); `blockers` counts them by "entity.field"."""

    code = "restricted"

    def __init__(self, current_version: int, message: str, blockers: Mapping[str, int]) -> None:
        super().__init__(current_version, message)
        self.blockers = dict(blockers)
