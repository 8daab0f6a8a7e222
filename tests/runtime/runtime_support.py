"""Helpers the runtime tests import by name (fixtures stay in conftest.py, which pytest
loads itself and tests never import): where the sales template lives, the fixed start of
the test clock, cheap password hashing, and a short way to get an actor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on Monday 2 March in Shanghai
TEST_ITERATIONS = 1_000  # password hashing kept cheap in tests

EngineFactory = Callable[[Path, str], Engine]
"""The type of the `make_engine` fixture: (app folder, database URL) → migrated engine."""


def act(engine: Engine, username: str) -> Actor:
    """The actor of `username` in the engine's app."""
    return engine.actor(username)
