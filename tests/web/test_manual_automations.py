"""Automations in the HTML UI: manual buttons on the record page and pressing them
(engine/web/ui/automation_buttons.py), a rule failing during a form save shown on the form
(engine/web/ui/editing.py), automation messages in the inbox and "by automation" in the
record's history."""

from __future__ import annotations

from automation_web_support import CSRF, logged_in, ticket
from flask import Flask

from engine.runtime.engine import Engine


def _press(desk_web: Flask, username: str, record_id: int, name: str = "escalate") -> str:
    """Press the button and follow the redirect back: the record page's HTML."""
    client = logged_in(desk_web, username)
    path = f"/records/ticket/{record_id}/automations/{name}"
    response = client.post(path, data={"csrf_token": CSRF})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/e/ticket/{record_id}")
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_record_page_shows_the_button_to_those_who_may_press_it(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk)
    html = logged_in(desk_web, "ann").get(f"/e/ticket/{record.id}").get_data(as_text=True)
    assert f'action="/records/ticket/{record.id}/automations/escalate"' in html
    assert ">Escalate now</button>" in html
    desk.people.update_user("ann", locale="zh")
    chinese = logged_in(desk_web, "ann").get(f"/e/ticket/{record.id}").get_data(as_text=True)
    assert ">立即升级</button>" in chinese
    reader = logged_in(desk_web, "lee").get(f"/e/ticket/{record.id}").get_data(as_text=True)
    assert "automations/escalate" not in reader  # lee may read, not update


def test_pressing_it_runs_the_automation_and_flashes_done(desk_web: Flask, desk: Engine) -> None:
    record = ticket(desk)
    html = _press(desk_web, "ann", record.id)
    assert "Escalate now: done." in html and "flash-success" in html
    assert desk.records.get(desk.actor("ann"), "ticket", record.id).values["note"] == "escalated"
    assert "by automation escalate" in html and "for Ann" in html  # the history entry


def test_a_condition_that_does_not_hold_is_named_in_the_flash(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk, amount=0)
    html = _press(desk_web, "ann", record.id)
    assert "Escalate now: skipped, the condition amount &gt; 0 does not hold." in html
    assert desk.records.get(desk.actor("ann"), "ticket", record.id).values["note"] is None


def test_pressing_needs_permission_csrf_and_a_known_automation(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk)
    path = f"/records/ticket/{record.id}/automations/escalate"
    assert logged_in(desk_web, "lee").post(path, data={"csrf_token": CSRF}).status_code == 403
    assert logged_in(desk_web, "ann").post(path).status_code == 400
    unknown = f"/records/ticket/{record.id}/automations/nope"
    assert logged_in(desk_web, "ann").post(unknown, data={"csrf_token": CSRF}).status_code == 404
    assert desk.automations.runs() == []


def test_a_rule_failing_during_a_save_is_shown_on_the_form(desk_web: Flask, desk: Engine) -> None:
    record = ticket(desk)
    data = {
        "csrf_token": CSRF, "_version": str(record.version), "title": "Printer",
        "owner": "ann", "amount": "10",
    }  # fmt: skip
    response = logged_in(desk_web, "ann").post(f"/e/ticket/{record.id}/edit", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    alert = html.split('class="alert alert-error"')[1].split("</div>")[0]
    assert "Nothing was saved" in alert and "rules/grade.yaml:6" in alert
    assert "no row of the decision table" in alert
    assert 'value="10"' in html  # what the user typed is kept
    assert desk.records.get(desk.actor("ann"), "ticket", record.id).version == record.version


def test_automation_messages_show_in_the_inbox_with_a_link(desk_web: Flask, desk: Engine) -> None:
    record = ticket(desk, title="Scanner")
    desk.automations.run_manual(desk.actor("ann"), "ticket", record.id, "escalate")
    html = logged_in(desk_web, "ann").get("/inbox").get_data(as_text=True)
    notes = html.split('id="notes"')[1].split("</ul>")[0]
    assert "note-automation" in notes
    assert "<strong>Escalated Scanner</strong>" in notes and "Amount 5.00" in notes
    assert f'href="/e/ticket/{record.id}"' in notes


def test_a_failing_manual_automation_flashes_its_error_and_place(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk)
    html = _press(desk_web, "ann", record.id, "reclassify")
    assert "Reclassify failed, nothing was changed:" in html and "flash-error" in html
    assert "no row of the decision table" in html and "(rules/reclassify.yaml:6)" in html
    run = desk.automations.runs(limit=1)[0]
    assert run.automation == "reclassify" and run.status == "failed"
