"""Sequence numbers: the pattern's tokens, resets by period, and no duplicates when two
creates run at the same time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from runtime_support import act

from engine.errors import FormworkError
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.sequences import format_sequence


def test_tokens_are_filled_in() -> None:
    day = date(2026, 3, 2)
    assert format_sequence("HT-{yyyy}-{0000}", day, 7) == "HT-2026-0007"
    assert format_sequence("{yy}{mm}{dd}/{00}", day, 123) == "260302/123"
    assert format_sequence("N{0}", day, 45) == "N45"


def test_numbers_count_up_and_restart_each_month(shop: Engine, clock: FixedClock) -> None:
    ann = act(shop, "ann")
    first = shop.records.create(ann, "order", {"title": "One"})
    second = shop.records.create(ann, "order", {"title": "Two"})
    clock.set(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))  # 1 April 00:30 in Shanghai
    april = shop.records.create(ann, "order", {"title": "Three"})
    assert [first["number"], second["number"], april["number"]] == [
        "SO-202603-001",
        "SO-202603-002",
        "SO-202604-001",
    ]


def test_concurrent_creates_never_share_a_number(shop: Engine) -> None:
    ann = act(shop, "ann")
    per_thread = 8
    barrier = threading.Barrier(2)
    numbers: list[str] = []
    errors: list[Exception] = []

    def create_some() -> None:
        barrier.wait()
        for index in range(per_thread):
            try:
                numbers.append(
                    shop.records.create(ann, "order", {"title": f"Order {index}"})["number"]
                )
            except FormworkError as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=create_some) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"SO-202603-{n:03d}" for n in range(1, 2 * per_thread + 1)]
