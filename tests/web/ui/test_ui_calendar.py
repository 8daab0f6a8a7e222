"""Calendar views: a month grid with records on their days, month navigation, today
marked, the reader's scope and filters applied (engine/web/ui/calendar_view.py)."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable
from datetime import date

from flask.testing import FlaskClient

from engine.runtime.engine import Engine
from engine.web.ui.calendar_view import month_grid

ClientFactory = Callable[[str], FlaskClient]
VIEW = "/e/customer?view=follow_up_calendar"


def _customer(engine: Engine, owner: str, name: str, day: str) -> int:
    values = {"name": name, "next_follow_up": day}
    return engine.records.create(engine.actor(owner), "customer", values).id


def _days(page: str) -> dict[str, list[str]]:
    """Date → titles of the grid's cells that hold entries."""
    found: dict[str, list[str]] = {}
    for cell in re.findall(r'data-date="([\d-]+)"[^>]*>(.*?)</td>', page, re.S):
        titles = re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', cell[1])
        if titles:
            found[cell[0]] = [html_module.unescape(t) for t in titles]
    return found


def test_month_grid_starts_on_monday_and_covers_the_month() -> None:
    weeks = month_grid(date(2026, 3, 1), today=date(2026, 3, 2))
    assert weeks[0][0].day == date(2026, 2, 23) and not weeks[0][0].in_month
    assert weeks[-1][-1].day == date(2026, 4, 5)
    assert all(len(week) == 7 for week in weeks)
    assert [d.day for week in weeks for d in week if d.is_today] == [date(2026, 3, 2)]


def test_records_sit_on_their_days_of_this_month(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    first = _customer(web_engine, "rep_east_1", "Early Ltd", "2026-03-03")
    _customer(web_engine, "rep_east_1", "Late Ltd", "2026-03-31")
    _customer(web_engine, "rep_east_1", "Twin Ltd", "2026-03-31")
    _customer(web_engine, "rep_east_1", "April Ltd", "2026-04-01")  # next month: not here
    _customer(web_engine, "rep_west_1", "Other Rep", "2026-03-03")  # not the reader's
    page = client_for("rep_east_1").get(VIEW).get_data(as_text=True)
    assert _days(page) == {"2026-03-03": ["Early Ltd"], "2026-03-31": ["Late Ltd", "Twin Ltd"]}
    assert f'href="/e/customer/{first}">Early Ltd</a>' in page
    assert re.search(
        r'class="cal-day cal-today[^"]*" data-date="2026-03-02" aria-current="date"', page
    )
    assert "March 2026" in page and "Mon" in page


def test_month_navigation_moves_by_months_and_keeps_the_filter(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    _customer(web_engine, "rep_east_1", "April Ltd", "2026-04-01")
    _customer(web_engine, "rep_east_1", "April Two", "2026-04-15")
    _customer(web_engine, "rep_east_1", "Jan Ltd", "2026-01-31")
    client = client_for("rep_east_1")
    march = client.get(VIEW).get_data(as_text=True)
    following = re.search(r'<a class="btn" rel="next" href="([^"]+)"', march)
    assert following is not None
    assert html_module.unescape(following.group(1)).endswith("month=2026-04")
    april = client.get(html_module.unescape(following.group(1))).get_data(as_text=True)
    assert _days(april) == {"2026-04-01": ["April Ltd"], "2026-04-15": ["April Two"]}
    assert "April 2026" in april and 'aria-current="date"' not in april
    earlier = client.get(VIEW + "&month=2026-02").get_data(as_text=True)
    previous = re.search(r'rel="prev" href="([^"]+)"', earlier)
    assert previous is not None and "month=2026-01" in previous.group(1)
    january = client.get(html_module.unescape(previous.group(1))).get_data(as_text=True)
    assert _days(january) == {"2026-01-31": ["Jan Ltd"]}
    filtered = client.get(VIEW + "&month=2026-04&filter=contains(name, 'Two')")
    text = filtered.get_data(as_text=True)
    assert _days(text) == {"2026-04-15": ["April Two"]}
    assert 'name="month" value="2026-04"' in text  # the filter box keeps the month


def test_the_calendar_speaks_chinese_and_a_bad_month_falls_back_to_this_one(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    _customer(web_engine, "rep_west_2", "华东科技", "2026-03-10")
    page = client_for("rep_west_2").get(VIEW + "&month=2026-13").get_data(as_text=True)
    assert "2026年3月" in page and "周一" in page
    assert _days(page) == {"2026-03-10": ["华东科技"]}


def test_a_calendar_on_a_date_the_reader_may_not_see_is_not_found(
    client_for: ClientFactory,
) -> None:
    # finance may not read customers' next_follow_up
    assert client_for("finance").get(VIEW).status_code == 404
