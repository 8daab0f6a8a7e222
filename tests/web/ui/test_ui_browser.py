"""End to end in Chromium: log in, create a customer (a bad then a corrected field), a deal
linked to it through the searchable picker, find it in the list, see its history; live
visibility and subform rows; phone-width pages. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from browser_support import PHONE, login, needs_chromium

pytestmark = needs_chromium


def test_customer_then_deal_then_list_and_history(
    page: Any, base_url: str, screenshots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, base_url, "rep_east_1")
    page.goto(f"{base_url}/e/customer/new")
    page.fill("#name", "Acme Robotics")
    page.click("text=B · Key")
    page.fill("#email", "not-an-email")
    page.click("button:has-text('Save')")
    error = page.locator("#email-errors")
    assert error.inner_text() == "Enter an e-mail address such as name@example.com."
    assert page.input_value("#name") == "Acme Robotics"
    assert page.is_checked("input[name=level][value=B]")
    page.screenshot(path=str(screenshots / "customer-form-error.png"), full_page=True)
    page.fill("#email", "sales@acme.cn")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r".*/e/customer/\d+$"))
    assert page.locator("h1").inner_text().startswith("Acme Robotics")

    page.goto(f"{base_url}/e/deal/new")
    assert page.locator("[data-field=lost_reason]").is_hidden()  # visible_if: stage == 'lost'
    page.fill("#name", "Acme MES phase 2")
    page.fill("#customer", "Acme")
    page.click("#customer-options li:has-text('Acme Robotics')")
    page.fill("#amount", "120000.50")
    page.fill("#probability", "30")
    page.screenshot(path=str(screenshots / "deal-form.png"), full_page=True)
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r".*/e/deal/\d+$"))
    assert page.locator("a:has-text('Acme Robotics')").count() == 1
    assert "¥120,000.50" in page.content()

    page.goto(f"{base_url}/e/deal")
    page.fill("#filter", "contains(name, 'MES')")
    page.press("#filter", "Enter")
    page.wait_for_load_state()
    rows = page.locator("table.records tbody tr")
    assert rows.count() == 1 and "Acme MES phase 2" in rows.first.inner_text()
    page.screenshot(path=str(screenshots / "deal-list.png"), full_page=True)
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/e/deal/\d+$"))
    assert page.locator("section:has-text('Why we lost')").is_hidden()  # stage is 'lead'
    history = page.locator(".timeline").inner_text()
    assert "Created · Rep East 1" in history and "Acme MES phase 2" in history
    page.screenshot(path=str(screenshots / "deal-record.png"), full_page=True)


def test_subform_rows_are_added_and_removed_in_the_browser(page: Any, base_url: str) -> None:
    login(page, base_url, "rep_east_1")
    page.goto(f"{base_url}/e/contract/new")
    add = page.locator("[data-subform=lines] [data-add-row]")
    add.click()
    add.click()
    assert page.locator("input[name='lines-0-product']").count() == 1
    assert page.locator("input[name='lines-1-product']").count() == 1
    page.locator("[data-subform=lines] tbody tr").first.locator("[data-remove-row]").click()
    assert page.locator("input[name='lines-0-product']").count() == 0
    add.click()
    assert page.locator("input[name='lines-2-product']").count() == 1


def test_phone_width_list_and_form(browser: Any, base_url: str, screenshots: Path) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        # English here: the test machines have no CJK fonts, so Chinese screenshots would
        # show empty boxes (the Chinese pages are checked by the test-client tests).
        login(page, base_url, "rep_west_1")
        page.goto(f"{base_url}/e/customer/new")
        page.fill("#name", "East China Manufacturing Co., Ltd.")
        page.click("text=A · Strategic")
        page.click("button[type=submit]:has-text('Save')")
        page.wait_for_url(re.compile(r".*/e/customer/\d+$"))
        page.goto(f"{base_url}/e/customer")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing sticks out sideways
        assert page.locator("table.records thead").is_hidden()  # rows become cards
        page.screenshot(path=str(screenshots / "phone-customer-list.png"), full_page=True)
        page.goto(f"{base_url}/e/customer/new")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        name_box = page.locator("#name").bounding_box()
        level_box = page.locator("#industry").bounding_box()
        assert level_box["y"] > name_box["y"] + name_box["height"]  # one column
        page.screenshot(path=str(screenshots / "phone-customer-form.png"), full_page=True)
    finally:
        context.close()
