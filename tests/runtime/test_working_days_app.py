"""An app's `calendar:` reaches `working_days()` everywhere expressions run: a formula
computed on save and a list filter compiled to SQL count the app's holidays and moved
working days. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from runtime_support import EngineFactory

from engine.runtime.actor import Actor

APP = """
app: calendar
title: Calendar
locales: [en]
timezone: Asia/Shanghai
roles:
  staff: {label: Staff}
calendar:
  holidays: [2026-01-01, 2026-01-02, 2026-01-03]
  workdays: [2026-01-04]
"""

SPAN = """
entity: span
label: Span
fields:
  start: {type: date, required: true}
  end: {type: date, required: true}
  days: {type: formula, expr: "working_days(start, end)", result: integer}
permissions:
  staff: {create: true, read: all, update: all}
"""


def test_formulas_and_filters_count_with_the_app_calendar(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> None:
    engine = make_engine(
        write_app_folder({"app.yaml": APP, "entities/span.yaml": SPAN}), database_url
    )
    system = Actor.system()
    spans = [
        (date(2026, 1, 1), date(2026, 1, 9)),  # 9 days: Thu–Sat off, Sunday worked
        (date(2025, 12, 29), date(2026, 1, 2)),  # Mon–Fri, the last two off
        (date(2026, 1, 5), date(2026, 1, 2)),  # backwards
    ]
    ids = [
        engine.records.create(system, "span", {"start": start, "end": end}).id
        for start, end in spans
    ]
    counted = [engine.records.get(system, "span", i)["days"] for i in ids]
    assert counted == [6, 3, 0]
    page = engine.records.list(system, "span", filter="working_days(start, end) == 6")
    assert [record.id for record in page.records] == [ids[0]]
    page = engine.records.list(
        system, "span", filter="working_days(start, '2026-01-04') == 4", sort=["id"]
    )
    assert [record.id for record in page.records] == [ids[1]]  # 29–31 Dec and Sunday the 4th
