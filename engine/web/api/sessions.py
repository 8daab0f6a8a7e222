"""No cookie session for bearer-token API calls.

A call to `/api/v1/…` that carries an `Authorization` header is authenticated by that
header alone (`identity.current_actor` never reads the session for it), so opening the
signed cookie session — reading and verifying the cookie, and possibly re-signing it into
a `Set-Cookie` — is pure cost. For such a request `open_session` returns None, which makes
Flask use its null session: nothing is read, nothing is saved, no `Set-Cookie` and no
`Vary: Cookie`. Every other request (the UI, the UI's own calls to the API with the session
cookie and a CSRF token, `/api/v1/auth/token` without a header) keeps the normal session.
See docs/decisions.md ("No cookie session for bearer API calls").
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from engine.web.api.blueprint import URL_PREFIX

__all__ = ["ApiAwareSessionInterface"]

_API_PATH = URL_PREFIX + "/"


class ApiAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, skipped for API calls that carry credentials."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if "Authorization" in request.headers and request.path.startswith(_API_PATH):
            return None  # Flask's null session: nothing read, nothing saved
        return super().open_session(app, request)
