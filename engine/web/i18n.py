"""The UI's own words in every language: message catalogs (`engine/web/locales/*.json`),
the language of the current request, and spec labels shown in it.

The language of a request is the logged-in user's (stored on the user), else the one the
visitor chose on the login page (kept in the session), else the app's first locale. A
locale the app does not offer falls back to the app's first one. Catalog keys missing in a
language fall back to English, then to the key itself, so a gap is visible but harmless.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask import g, session

from engine.spec.model import Label, label_text
from engine.web.state import web_state

__all__ = [
    "FALLBACK_LOCALE",
    "LOCALE_NAMES",
    "SESSION_LOCALE",
    "catalog",
    "current_locale",
    "label",
    "translate",
]

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK_LOCALE = "en"
SESSION_LOCALE = "locale"
LOCALE_NAMES: Mapping[str, str] = MappingProxyType({"zh": "中文", "en": "English"})


@cache
def catalog(locale: str) -> Mapping[str, str]:
    """The messages of `locale` (empty when there is no catalog for it)."""
    path = LOCALES_DIR / f"{locale}.json"
    if not path.is_file():
        return MappingProxyType({})
    return MappingProxyType(json.loads(path.read_text(encoding="utf-8")))


def current_locale() -> str:
    """The language of this request (see the module docstring)."""
    cached = g.get("fw_locale")
    if isinstance(cached, str):
        return cached
    offered = web_state().locales
    chosen: str | None = None
    actor = g.get("fw_actor")
    if actor is not None and actor.locale in offered:
        chosen = actor.locale
    elif session.get(SESSION_LOCALE) in offered:
        chosen = str(session[SESSION_LOCALE])
    locale = chosen or (offered[0] if offered else FALLBACK_LOCALE)
    g.fw_locale = locale
    return locale


def translate(key: str, /, locale: str | None = None, **params: Any) -> str:
    """The message `key` in the current (or given) language, with `{name}` filled in."""
    language = locale or current_locale()
    text = catalog(language).get(key) or catalog(FALLBACK_LOCALE).get(key) or key
    return text.format(**params) if params else text


def label(value: Label | None, fallback: str = "") -> str:
    """A spec label in the current language (`fallback` when it is empty)."""
    if not value:
        return fallback
    return label_text(value, current_locale(), fallback)
