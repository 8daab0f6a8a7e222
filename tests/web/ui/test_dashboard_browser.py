"""Dashboards in Chromium: the director's company dashboard (in English and in Chinese),
the leaderboard, a rep's own dashboard and the record page of their month's target, at desk
and phone width; every request stays on the live server (charts load nothing from a CDN).
Screenshots go to test-output/screenshots/ (`dashboard-*.png`, `phone-dashboard-*.png`).

Only rep_east_1 and rep_west_1 get data here (`dashboard_web_support`): rep_east_2 and
rep_west_2 keep the pages the board tests expect."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_support import DESK, PHONE, needs_chromium
from dashboard_web_support import DashboardData, add_dashboard_data

from engine.runtime.engine import Engine

pytestmark = needs_chromium

REPS = ("rep_east_1", "rep_west_1")


@pytest.fixture(scope="module")
def dashboard_data(live_engine: Engine) -> DashboardData:
    return add_dashboard_data(live_engine, REPS)


@contextmanager
def _session(
    browser: Any, base_url: str, username: str, *, phone: bool = False
) -> Iterator[tuple[Any, list[str]]]:
    """A page logged in as `username`, and the URLs of every request it makes."""
    if phone:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    else:
        context = browser.new_context(viewport=DESK)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{base_url}/login")
        page.fill("#username", username)
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        yield page, requested
    finally:
        context.close()


def _only_local(requested: list[str], base_url: str) -> None:
    assert requested and all(url.startswith(base_url) for url in requested), requested


def _widget(page: Any, widget_id: str) -> Any:
    return page.locator(f"#widget-{widget_id}")


def test_the_director_opens_the_company_dashboard(
    browser: Any, base_url: str, screenshots: Path, dashboard_data: DashboardData
) -> None:
    with _session(browser, base_url, "director") as (page, requested):
        page.click("#nav-dashboards summary")
        menu = page.locator("#nav-dashboards .menu a")
        assert menu.first.inner_text() == "Company targets"
        menu.first.click()
        page.wait_for_url(f"{base_url}/dashboards/company_targets")
        assert _widget(page, "year_target").locator(".dash-figure").inner_text() == "¥1,000,000"
        assert _widget(page, "year_actual").locator(".dash-figure").inner_text() == "¥95,000"
        gauge = _widget(page, "year_attainment").locator("svg")
        assert gauge.is_visible() and "9.5%" in gauge.inner_html()
        for chart in ("team_attainment", "won_by_team", "monthly_won"):
            box = _widget(page, chart).locator("svg").bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100, chart
        year, target = (_widget(page, w).bounding_box() for w in ("year_target", "team_attainment"))
        assert year["width"] < target["width"] / 1.5  # 3 of 12 columns beside 6 of 12
        page.screenshot(path=str(screenshots / "dashboard-company.png"), full_page=True)
        _only_local(requested, base_url)


def test_the_company_dashboard_in_chinese(
    browser: Any, base_url: str, screenshots: Path, live_engine: Engine,
    dashboard_data: DashboardData,
) -> None:  # fmt: skip
    live_engine.people.update_user("director", locale="zh")
    try:
        with _session(browser, base_url, "director") as (page, _):
            page.goto(f"{base_url}/dashboards/company_targets")
            assert page.locator("h1").inner_text() == "公司目标总览"
            assert page.locator("#nav-dashboards summary").inner_text().startswith("仪表盘")
            assert "¥95,000" in _widget(page, "year_actual").inner_text()
            assert "万</text>" in _widget(page, "monthly_won").inner_html()  # axis in 万
            page.screenshot(path=str(screenshots / "dashboard-company-zh.png"), full_page=True)
    finally:
        live_engine.people.update_user("director", locale="en")


def test_the_leaderboard(
    browser: Any, base_url: str, screenshots: Path, dashboard_data: DashboardData
) -> None:
    with _session(browser, base_url, "director") as (page, requested):
        page.goto(f"{base_url}/dashboards/leaderboard")
        rows = _widget(page, "won_quarter").locator("li")
        assert rows.count() == 2
        assert rows.nth(0).locator(".dash-name").inner_text() == "Rep East 1"
        value = rows.nth(0).locator(".dash-value")
        assert value.inner_text() == "¥85,000"
        bars = [rows.nth(i).locator(".dash-bar span").bounding_box()["width"] for i in (0, 1)]
        assert bars[1] < bars[0] / 5  # 10,000 against 85,000
        page.screenshot(path=str(screenshots / "dashboard-leaderboard.png"), full_page=True)
        _only_local(requested, base_url)


def test_a_rep_sees_their_dashboard_and_their_month_target(
    browser: Any, base_url: str, screenshots: Path, dashboard_data: DashboardData
) -> None:
    with _session(browser, base_url, "rep_east_1") as (page, requested):
        first = page.locator(".dash-links h2 a").first
        assert first.inner_text().endswith("My targets")
        first.click()
        page.wait_for_url(f"{base_url}/dashboards/my_targets")
        assert "85.0%" in _widget(page, "my_month").locator("svg").inner_html()
        assert _widget(page, "my_won_month").locator(".dash-figure").inner_text() == "¥85,000"
        page.screenshot(path=str(screenshots / "dashboard-my-targets.png"), full_page=True)
        target = dashboard_data.month_targets["rep_east_1"]
        page.goto(f"{base_url}/e/target/{target}")
        assert page.locator("h1").inner_text().startswith("rep_east_1 ")
        assert "¥85,000.00" in page.locator("main").inner_text()
        page.screenshot(path=str(screenshots / "dashboard-rep-target.png"), full_page=True)
        _only_local(requested, base_url)


def test_a_dashboard_on_a_phone(
    browser: Any, base_url: str, screenshots: Path, dashboard_data: DashboardData
) -> None:
    with _session(browser, base_url, "rep_east_1", phone=True) as (page, _):
        page.goto(f"{base_url}/dashboards/pipeline")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        cards = [_widget(page, w).bounding_box() for w in ("open_amount", "weighted_forecast")]
        assert cards[0]["y"] == cards[1]["y"]  # number cards two by two
        funnel = _widget(page, "funnel").bounding_box()
        assert funnel["width"] > PHONE["width"] * 0.85  # charts take the whole width
        page.screenshot(path=str(screenshots / "phone-dashboard-pipeline.png"), full_page=True)
        page.goto(f"{base_url}/dashboards/my_targets")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshots / "phone-dashboard-my-targets.png"), full_page=True)


def test_the_dashboard_menu_opens_without_script(
    browser: Any, base_url: str, dashboard_data: DashboardData
) -> None:
    context = browser.new_context(viewport=DESK, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/login")
        page.fill("#username", "rep_west_1")
        page.fill("#password", "demo")
        page.click(".login button[type=submit]")  # (the language menu has one without script)
        page.wait_for_url(f"{base_url}/")
        page.click("#nav-dashboards summary")
        links = page.locator("#nav-dashboards .menu a")
        assert [links.nth(i).inner_text() for i in range(links.count())] == [
            "My targets", "Leaderboard", "Pipeline and forecast",
        ]  # fmt: skip
        links.nth(1).click()
        page.wait_for_url(re.compile(r".*/dashboards/leaderboard$"))
        assert page.locator("#widget-won_quarter .dash-name").all_inner_texts() == ["Rep West 1"]
    finally:
        context.close()
