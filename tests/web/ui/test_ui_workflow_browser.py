"""End to end in Chromium: a rep submits a contract, the manager approves it from the
inbox, the director sends it back (on a phone) with a comment, the rep resubmits, and it
goes through manager, director and finance to approved. Screenshots of the workflow
panel, the dialogs and the inbox, at desk and phone width, go to test-output/screenshots/.

The contract needs the director's approval: `director_required` is filled by a rule that
does not run yet, so the test sets it with a trusted system write
(`workflow_web_support.needs_director`) before the rep opens the contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from browser_support import DESK, PHONE, needs_chromium
from workflow_web_support import needs_director, new_contract, record_state

from engine.runtime.engine import Engine

pytestmark = needs_chromium


@contextmanager
def _session(browser: Any, base_url: str, username: str, *, phone: bool = False) -> Iterator[Any]:
    """A page logged in as `username` in its own browser context (its own cookies)."""
    if phone:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    else:
        context = browser.new_context(viewport=DESK)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/login")
        page.fill("#username", username)
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        yield page
    finally:
        context.close()


def _take(
    page: Any, action: str, *, comment: str | None = None, to_state: str | None = None
) -> None:
    """Click the action's button, fill its dialog, send it, and wait for the page again."""
    page.click(f".wf-actions [data-action={action}]")
    dialog = page.locator(f"#wf-dlg-{action}")
    dialog.wait_for(state="visible")
    if to_state is not None:
        dialog.locator(f"input[name=to_state][value={to_state}] + span").click()
    if comment is not None:
        dialog.locator("textarea[name=comment]").fill(comment)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()


def _state_badge(page: Any) -> str:
    return str(page.locator("#wf-state").inner_text())


def _current_box(page: Any) -> str:
    return str(page.locator(".wf-diagram .wf-current").get_attribute("data-state"))


def test_a_contract_goes_through_approval_with_a_send_back(
    browser: Any, base_url: str, live_engine: Engine, screenshots: Path
) -> None:
    contract = new_contract(live_engine, "rep_east_1", "680000", "Robot cell framework contract")
    needs_director(live_engine, contract.id)
    record_url = f"{base_url}/e/contract/{contract.id}"
    number = str(contract["number"])

    # the rep submits the draft
    with _session(browser, base_url, "rep_east_1") as rep:
        rep.goto(record_url)
        assert _state_badge(rep) == "Draft" and _current_box(rep) == "draft"
        rep.screenshot(path=str(screenshots / "workflow-draft.png"), full_page=True)
        rep.click(".wf-actions [data-action=submit]")
        rep.locator("#wf-dlg-submit").wait_for(state="visible")
        rep.screenshot(path=str(screenshots / "workflow-submit-dialog.png"))
        with rep.expect_navigation():
            rep.locator("#wf-dlg-submit button[type=submit]").click()
        assert "Submit for approval: done." in rep.locator(".flash").inner_text()
        assert _state_badge(rep) == "Manager review" and _current_box(rep) == "review"

    # the manager finds it in the inbox and approves
    with _session(browser, base_url, "manager_east") as manager:
        assert manager.locator("#nav-inbox .count").inner_text() == "1"
        manager.click("#nav-inbox")
        row = manager.locator("#pending-table tbody tr", has_text=number)
        assert "Manager review" in row.inner_text() and "Rep East 1" in row.inner_text()
        manager.screenshot(path=str(screenshots / "workflow-inbox.png"), full_page=True)
        row.locator("a").click()
        manager.wait_for_url(record_url)
        manager.click(".wf-actions [data-action=approve]")
        manager.locator("#wf-dlg-approve").wait_for(state="visible")
        manager.screenshot(path=str(screenshots / "workflow-approve-dialog.png"))
        manager.locator("#wf-dlg-approve textarea[name=comment]").fill("Terms are fine.")
        with manager.expect_navigation():
            manager.locator("#wf-dlg-approve button[type=submit]").click()
        assert _state_badge(manager) == "Director approval"

    # the director, on a phone, sends it back to the draft with a comment
    with _session(browser, base_url, "director", phone=True) as director:
        director.goto(f"{base_url}/inbox")
        assert director.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        director.screenshot(path=str(screenshots / "phone-workflow-inbox.png"), full_page=True)
        director.locator("#pending-table tbody tr", has_text=number).locator("a").click()
        director.wait_for_url(record_url)
        assert director.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # the diagram scrolls sideways inside its panel, to the current state
        current = director.locator(".wf-diagram .wf-current").bounding_box()
        assert (
            current is not None
            and current["x"] >= 0
            and current["x"] + current["width"] <= PHONE["width"]
        )
        director.screenshot(path=str(screenshots / "phone-workflow-record.png"))
        # a missing comment is refused and the choice made is kept
        _take(director, "send_back", to_state="draft")
        assert director.locator("#wf-dlg-send_back").is_visible()
        error = director.locator("#wf-send_back-comment-errors")
        assert error.inner_text() == "A comment is required for this action."
        assert director.is_checked("#wf-dlg-send_back input[name=to_state][value=draft]")
        director.locator("#wf-dlg-send_back textarea[name=comment]").fill(
            "Payment terms: 30 % upfront at most, please revise."
        )
        director.screenshot(path=str(screenshots / "phone-workflow-send-back.png"))
        with director.expect_navigation():
            director.locator("#wf-dlg-send_back button[type=submit]").click()
        assert _state_badge(director) == "Draft"
    assert record_state(live_engine, "contract", contract.id) == "draft"

    # the rep reads why, and resubmits
    with _session(browser, base_url, "rep_east_1") as rep:
        rep.goto(f"{base_url}/inbox")
        note = rep.locator("#notes li", has_text=number).first
        assert "Sent back to you" in note.inner_text()
        rep.goto(record_url)
        assert "Payment terms: 30 % upfront" in rep.locator(".timeline").inner_text()
        _take(rep, "submit", comment="Revised to 30 % upfront.")
        assert _state_badge(rep) == "Manager review"

    with _session(browser, base_url, "manager_east") as manager:
        manager.goto(record_url)
        _take(manager, "approve")
    with _session(browser, base_url, "director") as director:
        director.goto(record_url)
        assert _state_badge(director) == "Director approval"
        _take(director, "approve", comment="OK now.")
    with _session(browser, base_url, "finance") as finance:
        finance.goto(record_url)
        assert _state_badge(finance) == "Finance review"
        _take(finance, "approve")
        assert _state_badge(finance) == "Approved" and _current_box(finance) == "approved"
        # Nothing left to approve: only cancelling (作废) the contract in force.
        assert finance.locator(".wf-actions").inner_text().split() == ["Cancel", "contract"]
        trail = finance.locator(".wf-trail").inner_text()
        assert trail.count("Approved") >= 3 and "Sent back" in trail
        assert "Payment terms: 30 % upfront" in trail
        finance.screenshot(path=str(screenshots / "workflow-approved.png"), full_page=True)
    assert record_state(live_engine, "contract", contract.id) == "approved"

    with _session(browser, base_url, "rep_east_1", phone=True) as rep:
        rep.goto(record_url)
        assert rep.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        rep.screenshot(path=str(screenshots / "phone-workflow-approved.png"), full_page=True)


def test_a_deal_is_lost_with_its_reason_from_the_dialog(
    browser: Any, base_url: str, live_engine: Engine, screenshots: Path
) -> None:
    actor = live_engine.actor("rep_west_1")
    customer = live_engine.records.create(actor, "customer", {"name": "Harbin Valves"})
    deal = live_engine.records.create(
        actor, "deal", {"name": "Valve line MES", "customer": customer.id, "amount": "45000"}
    )
    with _session(browser, base_url, "rep_west_1") as page:
        page.goto(f"{base_url}/e/deal/{deal.id}")
        page.click(".wf-actions [data-action=lose]")
        dialog = page.locator("#wf-dlg-lose")
        dialog.wait_for(state="visible")
        dialog.locator("textarea[name=comment]").fill("Budget moved to next year.")
        with page.expect_navigation():
            dialog.locator("button[type=submit]").click()
        # refused: the reason is missing; the comment stays
        assert dialog.is_visible()
        assert (
            dialog.locator("textarea[name=comment]").input_value() == "Budget moved to next year."
        )
        assert dialog.locator("#lose-lost_reason-errors").is_visible()
        page.screenshot(path=str(screenshots / "workflow-lose-dialog-error.png"))
        dialog.locator("select[name=lose-lost_reason]").select_option("no_budget")
        with page.expect_navigation():
            dialog.locator("button[type=submit]").click()
        assert _state_badge(page) == "Lost"
        assert re.search(r"Lost reason.*No budget", page.locator(".timeline").inner_text(), re.S)
        page.screenshot(path=str(screenshots / "workflow-deal-lost.png"), full_page=True)
