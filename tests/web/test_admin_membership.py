"""The admin user pages go through the membership path: moving a user to another team,
creating one in a team and deactivating one run the `membership` rules in the same
transaction; a failing rule leaves everything as it was and the page says which rule
failed. SQLite and PostgreSQL."""

from __future__ import annotations

import textwrap
from pathlib import Path

from automation_web_support import CSRF, desk_app, desk_engine, logged_in
from web_support import START

from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.spec.registry import Registry

RULES = {
    "rules/moves.yaml": """
        automation: moves
        label: Moves
        triggers:
          - {type: membership}
        actions:
          - type: create
            entity: ticket
            values:
              title: "=concat(event.change, ' ', event.member.username, ' ', event.team.name)"
    """,
    "rules/closed.yaml": """
        automation: closed
        label: Closed
        triggers:
          - {type: membership, change: joined, team: Closed}
        actions:
          - {type: lookup, table: levels, inputs: {amount: 1}, as: found}
    """,
}


def test_team_changes_on_the_admin_pages_fire_membership_rules(
    database_url: str, project_registry: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "desk"
    for name, text in RULES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    engine = desk_engine(folder, database_url, project_registry, FixedClock(START), tmp_path)
    try:
        people = engine.people
        sales = people.create_team("Sales").id
        closed = people.create_team("Closed").id
        client = logged_in(desk_app(engine, tmp_path), "root")

        def titles() -> list[str]:
            page = engine.records.list(Actor.system(), "ticket", sort=["id"])
            return [str(record["title"]) for record in page.records]

        save = {"csrf_token": CSRF, "action": "save", "name": "Ann", "locale": "en",
                "roles": ["agent"]}  # fmt: skip
        assert client.post("/admin/users/ann", data=save | {"team": str(sales)}).status_code == 302
        new = {"csrf_token": CSRF, "username": "cat", "password": "secret", "locale": "en",
               "team": str(sales)}  # fmt: skip
        assert client.post("/admin/users/new", data=new).status_code == 302
        client.post("/admin/users/cat", data={"csrf_token": CSRF, "action": "deactivate"})
        assert titles() == ["joined ann Sales", "joined cat Sales", "left cat Sales"]

        html = client.post("/admin/users/ann", data=save | {"team": str(closed)})
        text = html.get_data(as_text=True)
        assert html.status_code == 200 and "the automation &#39;closed&#39; failed" in text
        assert people.get_user("ann").team_id == sales  # nothing was saved
        assert len(titles()) == 3
        failed = engine.automations.runs(status="failed")
        assert [(run.automation, run.event["member"]) for run in failed] == [("closed", "ann")]
    finally:
        engine.close()
