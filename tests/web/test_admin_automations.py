"""The automations admin page (engine/web/admin/automations.py): the app's automations,
run counts, runs newest first with filters, a run's trace with YAML places, replay."""

from __future__ import annotations

import re

from automation_web_support import CSRF, failed_run, logged_in, ticket
from flask import Flask

from engine.runtime.engine import Engine


def test_only_admins_see_the_automation_pages(desk_web: Flask, desk: Engine) -> None:
    run_id = failed_run(desk, ticket(desk))
    ann = logged_in(desk_web, "ann")
    for path in ("/admin/automations", f"/admin/automations/runs/{run_id}", "/admin/outbox"):
        assert ann.get(path).status_code == 403
    replay = ann.post(f"/admin/automations/runs/{run_id}/replay", data={"csrf_token": CSRF})
    assert replay.status_code == 403
    assert desk_web.test_client().get("/admin/automations").status_code == 302
    assert len(desk.automations.runs()) == 1  # the refused replay ran nothing


def test_the_page_lists_automations_counts_and_runs_newest_first(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk)
    done = desk.automations.run_manual(desk.actor("ann"), "ticket", record.id, "escalate")
    failed = failed_run(desk, record)
    html = logged_in(desk_web, "root").get("/admin/automations").get_data(as_text=True)
    table = html.split('id="automations-table"')[1].split("</table>")[0]
    assert "rules/escalate.yaml" in table and "manual · ticket" in table
    assert "record_updated · ticket" in table
    assert f'<td data-label="Mode">{desk.app.automations["grade"].mode}</td>' in table
    counts = html.split('id="run-counts"')[1].split("</nav>")[0]
    assert re.search(r'data-status="done".*?<span class="count">1</span>', counts, re.S)
    assert re.search(r'data-status="failed".*?<span class="count">1</span>', counts, re.S)
    runs = re.findall(r'<tr data-run="(\d+)">', html)
    assert runs == [str(failed), str(done.run_id)]
    row = html.split(f'<tr data-run="{failed}">')[1].split("</tr>")[0]
    assert "rules/grade.yaml:6" in row and "no row of the decision table" in row
    assert f'href="/admin/automations/runs/{failed}"' in row


def test_runs_filter_by_status_and_automation(desk_web: Flask, desk: Engine) -> None:
    record = ticket(desk)
    done = desk.automations.run_manual(desk.actor("ann"), "ticket", record.id, "escalate")
    failed = failed_run(desk, record)
    root = logged_in(desk_web, "root")
    by_status = root.get("/admin/automations?status=failed").get_data(as_text=True)
    assert re.findall(r'<tr data-run="(\d+)">', by_status) == [str(failed)]
    by_name = root.get("/admin/automations?automation=escalate").get_data(as_text=True)
    assert re.findall(r'<tr data-run="(\d+)">', by_name) == [str(done.run_id)]
    nothing = root.get("/admin/automations?status=stopped").get_data(as_text=True)
    assert "No runs match." in nothing


def test_a_failed_run_shows_its_trace_and_error_with_places(desk_web: Flask, desk: Engine) -> None:
    failed = failed_run(desk, ticket(desk))
    html = (
        logged_in(desk_web, "root").get(f"/admin/automations/runs/{failed}").get_data(as_text=True)
    )
    error = html.split('id="run-error"')[1].split("</div>")[0]
    assert "rules/grade.yaml:6" in error and "no row of the decision table" in error
    actions = html.split('id="actions"')[1].split("</ol>")[0]
    assert 'class="fails"' in actions and "lookup" in actions and "rules/grade.yaml:6" in actions
    assert "&#34;changes&#34;" in html or "changes" in html  # the event's changed fields
    assert 'href="/e/ticket/1"' in html
    assert f'action="/admin/automations/runs/{failed}/replay"' in html


def test_a_done_run_shows_each_condition_value_and_action_result(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk)
    outcome = desk.automations.run_manual(desk.actor("ann"), "ticket", record.id, "escalate")
    path = f"/admin/automations/runs/{outcome.run_id}"
    html = logged_in(desk_web, "root").get(path).get_data(as_text=True)
    conditions = html.split('id="conditions"')[1].split("</ol>")[0]
    assert "amount &gt; 0" in conditions and "true" in conditions
    assert "rules/escalate.yaml:6" in conditions
    actions = html.split('id="actions"')[1].split("</ol>")[0]
    assert "rules/escalate.yaml:8" in actions and "escalated" in actions
    assert "notify" in actions


def test_replaying_a_failed_run_that_now_succeeds_opens_the_new_run(
    desk_web: Flask, desk: Engine
) -> None:
    record = ticket(desk, amount=5)
    failed = failed_run(desk, record)
    desk.records.update(
        desk.actor("ann"), "ticket", record.id, {"amount": 2000}, version=None
    )  # grade runs and sets gold; the failed run replayed now finds a row too
    root = logged_in(desk_web, "root")
    response = root.post(f"/admin/automations/runs/{failed}/replay", data={"csrf_token": CSRF})
    assert response.status_code == 302
    newest = desk.automations.runs(limit=1)[0]
    assert newest.replay_of == failed and newest.status == "done"
    assert response.headers["Location"].endswith(f"/admin/automations/runs/{newest.id}")
    page = root.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Replayed as run {newest.id}: Done." in page
    assert f"replay of run {failed}" in page


def test_replaying_a_run_that_fails_again_says_why_and_opens_its_trace(
    desk_web: Flask, desk: Engine
) -> None:
    failed = failed_run(desk, ticket(desk))
    root = logged_in(desk_web, "root")
    response = root.post(f"/admin/automations/runs/{failed}/replay", data={"csrf_token": CSRF})
    newest = desk.automations.runs(limit=1)[0]
    assert newest.replay_of == failed and newest.status == "failed"
    assert response.headers["Location"].endswith(f"/admin/automations/runs/{newest.id}")
    page = root.get(response.headers["Location"]).get_data(as_text=True)
    assert "The replay failed, nothing it did was kept" in page
    assert "flash-error" in page


def test_replay_needs_the_csrf_token_and_an_existing_run(desk_web: Flask, desk: Engine) -> None:
    failed = failed_run(desk, ticket(desk))
    root = logged_in(desk_web, "root")
    assert root.post(f"/admin/automations/runs/{failed}/replay").status_code == 400
    assert (
        root.post("/admin/automations/runs/999/replay", data={"csrf_token": CSRF}).status_code
        == 404
    )
    assert root.get("/admin/automations/runs/999").status_code == 404
    assert len(desk.automations.runs()) == 1


def test_the_admin_nav_links_both_pages_in_both_languages(desk_web: Flask, desk: Engine) -> None:
    root = logged_in(desk_web, "root")
    html = root.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/automations"' in html and 'href="/admin/outbox"' in html
    desk.people.update_user("root", locale="zh")
    chinese = logged_in(desk_web, "root").get("/admin/automations").get_data(as_text=True)
    assert "自动化" in chinese and "发件箱" in chinese and "运行记录" in chinese
