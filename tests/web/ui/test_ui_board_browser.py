"""Kanban boards and month calendars in Chromium: a card dragged to another column and one
moved with its *Move to* menu (no pointer), both kept after a reload; the pipeline
board, whose cards move by workflow actions (a drop, a refused one, one opening the
action's dialog); the calendar's month navigation; phone widths (columns scroll sideways,
the calendar becomes a list of days) and the Chinese board. Screenshots go to
test-output/screenshots/ (`board-*.png`, `calendar-*.png`)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from browser_support import DESK, PHONE, login, needs_chromium

from engine.runtime.engine import Engine

pytestmark = needs_chromium

REP = "rep_east_2"  # the other browser tests never act as this rep: their pages stay as they were
CUSTOMERS = (
    ("Hangzhou Robotics", "A"), ("Suzhou Precision Parts", "B"), ("Ningbo Port Logistics", "B"),
    ("Wuxi Textile Group", "C"), ("Shaoxing Dyeing", "C"), ("Jiaxing Foods", "C"),
    ("Changzhou Motors", "D"),
)  # fmt: skip


def _today(engine: Engine) -> date:
    return engine.clock.now().astimezone(ZoneInfo(engine.app.timezone or "UTC")).date()


@pytest.fixture(scope="module")
def board_data(live_engine: Engine) -> dict[str, int]:
    """The rep's customers (one per level at least, follow-ups this month) and deals."""
    actor = live_engine.actor(REP)
    first = _today(live_engine).replace(day=1)
    ids: dict[str, int] = {}
    for index, (name, level) in enumerate(CUSTOMERS):
        day = first + timedelta(days=(index * 4) % 27)
        values = {"name": name, "level": level, "next_follow_up": day.isoformat()}
        ids[name] = live_engine.records.create(actor, "customer", values).id
    for name, customer, amount in (
        ("Welding line upgrade", "Hangzhou Robotics", "380000"),
        ("Warehouse WMS", "Ningbo Port Logistics", "96000"),
        ("Dye house sensors", "Shaoxing Dyeing", "45000"),
    ):
        values = {"name": name, "customer": ids[customer], "amount": amount}
        live_engine.records.create(actor, "deal", values)
    return ids


def _column(page: Any, value: str) -> Any:
    return page.locator(f".board-col[data-column='{value}']")


def test_cards_move_by_drag_and_by_menu(
    page: Any, base_url: str, screenshots: Path, board_data: dict[str, int]
) -> None:
    page.set_viewport_size(DESK)
    login(page, base_url, REP)
    page.goto(f"{base_url}/e/customer?view=by_level")
    assert _column(page, "C").locator("[data-count]").inner_text() == "3"
    page.screenshot(path=str(screenshots / "board-customers.png"), full_page=True)

    card = _column(page, "C").locator("[data-card]", has_text="Wuxi Textile Group")
    card.drag_to(_column(page, "A").locator(".board-cards"))
    status = page.locator("[data-board-status]")
    status.wait_for(state="visible")
    assert status.inner_text() == "Moved “Wuxi Textile Group”."
    assert _column(page, "A").locator("[data-card]", has_text="Wuxi Textile Group").count() == 1
    assert _column(page, "C").locator("[data-count]").inner_text() == "2"
    assert _column(page, "A").locator("[data-count]").inner_text() == "2"

    other = _column(page, "D").locator("[data-card]", has_text="Changzhou Motors")
    other.locator("select").select_option("B")
    other.locator("button:has-text('Move')").click()
    page.wait_for_function(
        "document.querySelector(\".board-col[data-column='B']\").textContent"
        ".includes('Changzhou Motors')"
    )
    assert _column(page, "D").locator(".board-empty").is_visible()  # emptied: says so
    page.screenshot(path=str(screenshots / "board-customers-moved.png"), full_page=True)

    page.reload()
    assert _column(page, "A").locator("[data-card]", has_text="Wuxi Textile Group").count() == 1
    assert _column(page, "B").locator("[data-card]", has_text="Changzhou Motors").count() == 1
    assert _column(page, "D").locator("[data-count]").inner_text() == "0"


def test_deal_cards_move_through_the_workflow(
    page: Any, base_url: str, screenshots: Path, board_data: dict[str, int]
) -> None:
    page.set_viewport_size(DESK)
    login(page, base_url, REP)
    page.goto(f"{base_url}/e/deal?view=pipeline")
    assert "changes by the workflow's actions" in page.locator(".viewnote").inner_text()
    card = _column(page, "lead").locator("[data-card]", has_text="Welding line upgrade")
    options = card.locator("select option").all_inner_texts()
    assert options == ["Lead", "Contacted", "Qualified", "Lost"]  # what its actions reach
    page.screenshot(path=str(screenshots / "board-pipeline.png"), full_page=True)

    card.drag_to(_column(page, "contacted").locator(".board-cards"))
    status = page.locator("[data-board-status]")
    status.wait_for(state="visible")
    assert status.inner_text() == "Mark contacted: done."
    moved = _column(page, "contacted").locator("[data-card]", has_text="Welding line upgrade")
    assert moved.count() == 1
    assert _column(page, "contacted").locator("[data-count]").inner_text() == "1"
    page.screenshot(path=str(screenshots / "board-pipeline-moved.png"), full_page=True)

    # no action leads from Lead to Proposal: the card stays and the board says why
    other = _column(page, "lead").locator("[data-card]", has_text="Warehouse WMS")
    other.drag_to(_column(page, "proposal").locator(".board-cards"))
    page.wait_for_function(
        "document.querySelector('[data-board-status]').textContent.includes('No workflow action')"
    )
    assert "is-error" in (status.get_attribute("class") or "")
    assert _column(page, "lead").locator("[data-card]", has_text="Warehouse WMS").count() == 1

    page.reload()
    assert (
        _column(page, "contacted").locator("[data-card]", has_text="Welding line upgrade").count()
        == 1
    )

    # losing needs a reason: the menu's move opens the action's dialog on the record's page
    other = _column(page, "lead").locator("[data-card]", has_text="Warehouse WMS")
    other.locator("select").select_option("lost")
    other.locator("button:has-text('Move')").click()
    page.wait_for_url(re.compile(r".*/e/deal/\d+\?act=lose$"))
    page.screenshot(path=str(screenshots / "board-pipeline-lose-dialog.png"), full_page=True)


def test_calendar_month_and_navigation(
    page: Any, base_url: str, screenshots: Path, board_data: dict[str, int]
) -> None:
    page.set_viewport_size(DESK)
    login(page, base_url, REP)
    page.goto(f"{base_url}/e/customer?view=follow_up_calendar")
    first = page.locator("table.calendar").get_attribute("data-month")
    assert page.locator(".cal-today").count() == 1
    cell = page.locator(f"td[data-date='{first}-01']")
    assert "Hangzhou Robotics" in cell.inner_text()
    page.screenshot(path=str(screenshots / "calendar-customers.png"), full_page=True)
    cell.locator("a", has_text="Hangzhou Robotics").click()
    page.wait_for_url(re.compile(rf".*/e/customer/{board_data['Hangzhou Robotics']}$"))
    page.go_back()
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r".*month=\d{4}-\d{2}$"))
    assert page.locator("table.calendar").get_attribute("data-month") != first
    assert page.locator(".cal-today").count() == 0
    assert page.locator(".cal-entries a", has_text="Hangzhou Robotics").count() == 0


def test_phone_board_and_calendar(
    browser: Any, base_url: str, screenshots: Path, board_data: dict[str, int]
) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        login(page, base_url, REP)
        page.goto(f"{base_url}/e/customer?view=by_level")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshots / "phone-board-customers.png"), full_page=True)
        page.goto(f"{base_url}/e/customer?view=follow_up_calendar")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("table.calendar thead").is_hidden()  # a list of days
        days = page.locator("td.cal-day:visible")
        assert days.count() >= len(CUSTOMERS) - 1  # busy days (and today) only
        page.screenshot(path=str(screenshots / "phone-calendar-customers.png"), full_page=True)
    finally:
        context.close()


def test_chinese_board(page: Any, base_url: str, screenshots: Path, live_engine: Engine) -> None:
    actor = live_engine.actor("rep_west_2")  # reads Chinese
    for name, level in (
        ("杭州机器人有限公司", "A"),
        ("苏州精密零件厂", "B"),
        ("无锡纺织集团", "C"),
    ):
        live_engine.records.create(actor, "customer", {"name": name, "level": level})
    page.set_viewport_size(DESK)
    login(page, base_url, "rep_west_2")
    page.goto(f"{base_url}/e/customer?view=by_level")
    assert "A类·战略客户" in page.locator(".board").inner_text()
    page.screenshot(path=str(screenshots / "board-customers-zh.png"), full_page=True)
    page.goto(f"{base_url}/e/customer?view=follow_up_calendar")
    assert "周一" in page.locator("table.calendar").inner_text()
    page.screenshot(path=str(screenshots / "calendar-customers-zh.png"), full_page=True)
