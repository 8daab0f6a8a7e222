"""The `admin` blueprint object: every page is for logged-in admins only (others get 403),
and every change carries the CSRF token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for

from engine.web.auth import check_csrf, current_actor

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _require_admin() -> Any:
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not actor.is_admin:
        abort(403)
    check_csrf()
    return None
