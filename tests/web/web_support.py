"""Helpers the web tests import by name (fixtures stay in conftest.py, which pytest loads
itself and tests never import): the sales template, the fixed start of the test clock,
cheap password hashing, the test CSRF token, and the demo-like people.

People (password `demo`, as in the demo data): `admin` (admin); `director`
(sales_director, heads the Sales team); `manager_east` / `manager_west` (sales_manager,
heading East / West under Sales); `rep_east_1`, `rep_east_2`, `rep_west_1`, `rep_west_2`
(sales_rep in those teams); `finance` (finance). Everyone's language is `en` except
`rep_west_2`, who reads Chinese (`zh`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient

from engine.runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"
APP_ID = "sales_crm"
PASSWORD = "demo"
CSRF_TOKEN = "test-csrf-token"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on Monday 2 March in Shanghai
TEST_ITERATIONS = 1_000  # password hashing kept cheap in tests

ClientFactory = Callable[[str], FlaskClient]
"""The type of the `client_for` fixture: username → logged-in test client."""


def add_demo_people(engine: Engine) -> None:
    """Create the demo-like users, teams and roles described in the module docstring."""
    people = engine.people
    people.create_user("admin", name="Admin", password=PASSWORD, is_admin=True, locale="en")
    people.create_user("director", name="Dana Director", password=PASSWORD, locale="en")
    sales = people.create_team("Sales", manager="director")
    people.set_team("director", sales.id)
    people.grant_role(APP_ID, "director", "sales_director")
    for region in ("east", "west"):
        manager = f"manager_{region}"
        people.create_user(manager, name=f"Manager {region.title()}", password=PASSWORD)
        people.update_user(manager, locale="en")
        team = people.create_team(region.title(), parent_id=sales.id, manager=manager)
        people.set_team(manager, team.id)
        people.grant_role(APP_ID, manager, "sales_manager")
        for number in (1, 2):
            rep = f"rep_{region}_{number}"
            locale = "zh" if rep == "rep_west_2" else "en"
            people.create_user(
                rep, name=f"Rep {region.title()} {number}", password=PASSWORD,
                locale=locale, team_id=team.id,
            )  # fmt: skip
            people.grant_role(APP_ID, rep, "sales_rep")
    people.create_user("finance", name="Fay Finance", password=PASSWORD, locale="en")
    people.grant_role(APP_ID, "finance", "finance")
