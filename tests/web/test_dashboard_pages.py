"""Dashboard pages (engine/web/ui/dashboards.py): the list and a dashboard for the director,
a manager and a rep, the navigation's dashboards, 403 / 404, the widgets' figures as the
reader's rights and language give them, and charts that load nothing from elsewhere.

The sales template with `dashboard_web_support`'s data, once per database kind (SQLite,
and PostgreSQL when FORMWORK_TEST_DATABASE_URL is set); every test only reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from dashboard_web_support import DashboardData, add_dashboard_data
from flask import Flask
from flask.testing import FlaskClient
from web_support import CSRF_TOKEN, SALES_APP, START, TEST_ITERATIONS, add_demo_people

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry
from engine.web import create_app
from engine.web.auth import SESSION_CSRF, SESSION_USER

Client = Callable[[str], FlaskClient]
EXTERNAL = re.compile(r"""(?:href|src)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def dash_engine(
    module_database_url: str,
    project_registry: Registry,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Engine, DashboardData]]:
    """The sales template over the module's database, with people and dashboard data."""
    engine = Engine.load(
        SALES_APP,
        database_url=module_database_url,
        clock=FixedClock(START),
        project_root=tmp_path_factory.mktemp("dashboards"),
        registry=project_registry,
        password_iterations=TEST_ITERATIONS,
    )
    engine.migrate()
    add_demo_people(engine)
    data = add_dashboard_data(engine)
    yield engine, data
    engine.close()


@pytest.fixture(scope="module")
def dash_app(
    dash_engine: tuple[Engine, DashboardData], tmp_path_factory: pytest.TempPathFactory
) -> Flask:
    root = tmp_path_factory.mktemp("dash_app")
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "PROJECT_ROOT": str(root)}
    return create_app(test_config=config, engine=dash_engine[0])


@pytest.fixture
def as_user(dash_app: Flask) -> Client:
    def make(username: str) -> FlaskClient:
        client = dash_app.test_client()
        with client.session_transaction() as session:
            session[SESSION_USER] = username
            session[SESSION_CSRF] = CSRF_TOKEN
        return client

    return make


def _html(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _widget(html: str, widget_id: str) -> str:
    """The markup of one widget's card."""
    start = html.index(f'id="widget-{widget_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def _nav(html: str) -> str:
    return html[html.index('id="nav-dashboards"') : html.index('class="mainnav"')]


def test_the_director_sees_the_company_dashboard(as_user: Client) -> None:
    html = _html(as_user("director"), "/dashboards/company_targets")
    assert "<h1>Company targets</h1>" in html and "As of 2026-03-02" in html
    assert "¥1,000,000" in _widget(html, "year_target")
    assert "¥135,000" in _widget(html, "year_actual")  # the four won deals
    gauge = _widget(html, "year_attainment")
    assert "<svg" in gauge and 'role="img"' in gauge and "13.5%" in gauge
    assert "120%" in gauge  # the gauge's full scale (max: 1.2)
    bar = _widget(html, "team_attainment")  # East 125,000 / 300,000; West 10,000 / 200,000
    assert re.search(r"<th scope=\"row\">East</th><td>41\.7%</td>", bar)
    assert re.search(r"<th scope=\"row\">West</th><td>5\.0%</td>", bar)
    assert "<svg" in _widget(html, "won_by_team") and "<svg" in _widget(html, "monthly_won")
    table = _widget(html, "team_targets")  # only published targets: ours are drafts
    assert "No data yet" in table


def test_widths_place_the_widgets_on_twelve_columns(as_user: Client) -> None:
    html = _html(as_user("director"), "/dashboards/company_targets")
    spans = re.findall(r'class="card dash-widget widget-(\w+) span-(\d+)"', html)
    assert spans[:4] == [("number", "3"), ("number", "3"), ("gauge", "3"), ("gauge", "3")]
    assert ("line", "12") in spans and ("table", "12") in spans


def test_a_rep_sees_their_own_figures(as_user: Client) -> None:
    html = _html(as_user("rep_east_1"), "/dashboards/my_targets")
    assert "85.0%" in _widget(html, "my_month")  # 85,000 of 100,000 in March
    assert "¥85,000" in _widget(html, "my_won_month")
    assert "¥61,500" in _widget(html, "my_forecast")  # 50 % of 120,000 and 5 % of 30,000
    targets = _widget(html, "my_target_list")
    assert "No data yet" in targets  # a draft target is not in "my targets"


def test_tables_link_their_records_and_format_like_lists(as_user: Client) -> None:
    table = _widget(_html(as_user("rep_east_1"), "/dashboards/pipeline"), "overdue_follow_ups")
    headers = re.findall(r'<th scope="col">([^<]+)</th>', table)
    assert headers == ["Customer name", "Level", "Owner", "Next follow-up", "Last follow-up"]
    cells = [
        re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)
    ]
    assert re.fullmatch(r'<a href="/e/customer/\d+">Prospect Co</a>', cells[0])
    assert cells[1].startswith('<span class="badge badge-') and "B" in cells[1]
    assert cells[2:] == ["Rep East 1", "2026-02-20", "—"]


def test_a_widget_that_fails_says_why_and_the_others_show(as_user: Client) -> None:
    html = _html(as_user("finance"), "/dashboards/company_targets")  # finance reads no deals
    failed = _widget(html, "year_actual")
    assert '<p class="dash-error" role="alert">This widget could not be shown.' in failed
    assert "you may not see the records of &#39;deal&#39;" in failed
    assert "¥1,000,000" in _widget(html, "year_target")


def test_the_leaderboard_ranks_the_reps(as_user: Client) -> None:
    html = _html(as_user("director"), "/dashboards/leaderboard")
    board = _widget(html, "won_quarter")
    names = re.findall(r'<span class="dash-name">([^<]+)</span>', board)
    assert names == ["Rep East 1", "Rep East 2", "Rep West 1"]
    values = re.findall(r'<span class="dash-value" title="[^"]+">([^<]+)</span>', board)
    assert values == ["¥85,000", "¥40,000", "¥10,000"]
    assert 'style="width: 100.0%"' in board and 'style="width: 11.8%"' in board
    assert '<li class="top top-1">' in board


def test_a_rep_ranks_among_the_deals_they_may_read(as_user: Client) -> None:
    """Widgets run with the reader's rights: a rep reads only their own deals."""
    board = _widget(_html(as_user("rep_west_1"), "/dashboards/leaderboard"), "won_quarter")
    assert re.findall(r'<span class="dash-name">([^<]+)</span>', board) == ["Rep West 1"]


def test_the_nav_lists_only_the_dashboards_one_may_see(as_user: Client) -> None:
    rep = _nav(_html(as_user("rep_east_1"), "/"))
    assert re.findall(r'href="/dashboards/(\w+)"', rep) == ["my_targets", "leaderboard", "pipeline"]
    director = _nav(_html(as_user("director"), "/"))  # inherits the managers' and reps' too
    assert re.findall(r'href="/dashboards/(\w+)"', director) == [
        "company_targets", "leaderboard", "pipeline", "my_targets", "team_targets"
    ]  # fmt: skip
    manager = _nav(_html(as_user("manager_east"), "/"))
    assert "team_targets" in manager and "company_targets" not in manager
    finance = _html(as_user("finance"), "/")  # one dashboard: a plain link, no menu
    link = '<a class="dashnav" id="nav-dashboards" href="/dashboards/company_targets"'
    assert link in finance


def test_the_list_page_redirects_to_an_only_dashboard(as_user: Client) -> None:
    response = as_user("finance").get("/dashboards")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboards/company_targets")
    html = _html(as_user("rep_east_1"), "/dashboards")
    links = re.findall(r'<h2><a href="/dashboards/(\w+)">', html)
    assert links == ["my_targets", "leaderboard", "pipeline"]


def test_a_rep_may_not_open_the_director_dashboard(as_user: Client) -> None:
    html = _html(as_user("rep_east_1"), "/dashboards/company_targets", 403)
    assert "403" in html and "Not allowed" in html
    assert as_user("rep_east_1").get("/dashboards/no_such_board").status_code == 404


def test_visitors_are_sent_to_the_login(dash_app: Flask) -> None:
    response = dash_app.test_client().get("/dashboards/leaderboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_charts_load_nothing_from_elsewhere(as_user: Client) -> None:
    for username, name in (("director", "company_targets"), ("rep_east_1", "pipeline")):
        html = _html(as_user(username), f"/dashboards/{name}")
        svgs = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
        assert len(svgs) >= 2
        for svg in svgs:
            assert "<script" not in svg and "<!--" not in svg
            assert not EXTERNAL.search(svg), svg[:300]
            assert "@import" not in svg and "url(" not in svg
            assert "pygal.org" not in svg and "kozea" not in svg.lower()
        assert not EXTERNAL.search(html)  # nor does the page


def test_a_chinese_reader_gets_chinese_labels_and_units(as_user: Client) -> None:
    html = _html(as_user("rep_west_2"), "/dashboards/pipeline")
    assert '<html lang="zh">' in html and "<h1>销售漏斗与预测</h1>" in html
    assert "数据截至 2026-03-02" in html and "在手商机金额" in html
    assert "¥250,000" in _widget(html, "open_amount")
    funnel = _widget(html, "funnel")
    assert "漏斗图，共 1 项；最大为 线索：¥250,000。" in funnel  # the chart's description
    assert ">¥25万</text>" in funnel


def test_the_home_page_lists_the_dashboards(as_user: Client) -> None:
    html = _html(as_user("rep_east_1"), "/")
    links = html[html.index('class="cards dash-links"') :]
    assert re.findall(r'<h2><a href="/dashboards/(\w+)">', links)[:1] == ["my_targets"]


def test_the_rep_month_target_page_shows_its_progress(
    as_user: Client, dash_engine: tuple[Engine, DashboardData]
) -> None:
    target = dash_engine[1].month_targets["rep_east_1"]
    html = _html(as_user("rep_east_1"), f"/e/target/{target}")
    assert "rep_east_1 2026-03" in html and "¥85,000.00" in html
    _html(as_user("rep_east_2"), f"/e/target/{target}", 404)  # not theirs
