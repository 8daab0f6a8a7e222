"""The API's error shape, `{"error": {"code", "message", "fields"?}}`, and the handlers that
turn every failure under `/api/v1` into it — service errors, HTTP errors raised by Flask or
werkzeug (bad JSON, 404 for an unknown path, 405, 413) and unexpected exceptions (500) —
so an API client never receives an HTML error page.

Service errors map to one status each: NotFound 404, Forbidden 403, BadRequest 400,
ValidationFailed 422, Conflict 409 (with `current_version`), AutomationFailed 422 (code
`automation_failed`, with the failing `automation` and `where`, its YAML place: a rule the
change fired failed, so nothing of the change was kept).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Blueprint, Response, request
from flask.sansio.app import App
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from engine.errors import (
    AutomationFailed,
    BadRequest,
    Conflict,
    Forbidden,
    FormworkError,
    NotFound,
    ValidationFailed,
)
from engine.web.api.encoding import json_response

__all__ = ["ApiError", "error_response", "install_error_handlers"]

_STATUS: Mapping[type[FormworkError], int] = {
    NotFound: 404,
    Forbidden: 403,
    BadRequest: 400,
    ValidationFailed: 422,
    Conflict: 409,
    AutomationFailed: 422,
}
_HTTP_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "version_required",
    500: "internal_error",
}
# Routing failures (no endpoint matched) are handled at the app level, only for API paths.
_APP_LEVEL_CODES = (404, 405, 413, 500)


class ApiError(Exception):
    """An error the API raises itself (bad parameters, missing credentials or version)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _HTTP_CODES.get(status, "error")
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: Mapping[str, Sequence[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON error response in the contract's shape."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = {name: list(texts) for name, texts in fields.items()}
    body.update(extra or {})
    response = json_response({"error": body}, status)
    response.headers.update(headers or {})
    return response


def _service_error(error: FormworkError) -> Response:
    status = next((s for cls, s in _STATUS.items() if isinstance(error, cls)), 500)
    code = str(getattr(error, "code", "error"))
    if isinstance(error, ValidationFailed):
        return error_response(422, code, "the record did not pass validation", fields=error.fields)
    if isinstance(error, AutomationFailed):
        place = {"automation": error.automation, "where": error.where}
        return error_response(422, code, str(error), extra=place)
    if isinstance(error, Conflict):
        extra: dict[str, Any] = {"current_version": error.current_version}
        blockers = getattr(error, "blockers", None)
        if blockers:
            extra["blockers"] = dict(blockers)
        return error_response(409, code, str(error), extra=extra)
    if status == 500:
        return error_response(500, "internal_error", "the server could not complete the request")
    return error_response(status, code, str(error))


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, headers=error.headers)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return _internal_error(error)
    message = error.description or error.name
    valid = getattr(error, "valid_methods", None)
    headers = {"Allow": ", ".join(sorted(valid))} if status == 405 and valid else {}
    return error_response(status, _HTTP_CODES.get(status, "error"), message, headers=headers)


def _internal_error(error: Exception) -> Response:
    return error_response(500, "internal_error", "the server could not complete the request")


def install_error_handlers(bp: Blueprint) -> None:
    """Register the JSON handlers on the blueprint, and app-level ones (for paths under the
    blueprint's prefix that match no route) that leave other paths to earlier handlers."""
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(FormworkError, _service_error)
    # Code-specific handlers outrank class handlers app-wide in Flask's lookup, so every
    # HTTP code gets one here: an app-level 404 page of the UI must not answer API calls.
    for code in default_exceptions:
        bp.register_error_handler(code, _http_error)
    bp.register_error_handler(Exception, _internal_error)
    bp.record_once(_install_app_handlers)


def _install_app_handlers(state: BlueprintSetupState) -> None:
    prefix = state.url_prefix or ""
    for code in _APP_LEVEL_CODES:
        _install_app_handler(state.app, code, prefix)


def _install_app_handler(app: App, code: int, prefix: str) -> None:
    earlier: Callable[[Any], Any] | None = app.error_handler_spec[None][code].get(
        default_exceptions[code]
    )

    def handle(error: Exception) -> Any:
        if request.path == prefix or request.path.startswith(prefix + "/"):
            if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
                return _http_error(error)
            return _internal_error(error)
        if earlier is not None:
            return earlier(error)
        return error

    app.register_error_handler(code, handle)
