"""What the Chromium tests share: where the browser is, why they skip without it, the two
window sizes they shoot at, and logging in as a demo user."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("FORMWORK_CHROMIUM") or "/usr/bin/chromium"
if not Path(CHROMIUM).is_file():
    REASON: str | None = f"no Chromium at {CHROMIUM} (set FORMWORK_CHROMIUM or install chromium)"
elif importlib.util.find_spec("playwright") is None:
    REASON = "playwright is not installed (pip install -e '.[dev]')"
else:
    REASON = None

needs_chromium = pytest.mark.skipif(REASON is not None, reason=REASON or "")
"""Mark a module `pytestmark = needs_chromium`: its tests skip, saying why, without it."""

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def login(page: Any, base_url: str, username: str, password: str = "demo") -> None:
    """Log in through the form and wait for the home page."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
