"""Who can use the demo key, in a real Chromium: the key owner's account view (another account's IAM side is
not guessed), an operator's view across accounts, the CSV download, and no serious or critical axe finding."""

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser import sign_in
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, TRUSTED
from tests.browser import AXE_JS

pytestmark = pytest.mark.browser

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
OPERATOR_PASSWORD = "operator-password-not-secret-0001"
EXAMPLE_ROLE = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"
AXE = AXE_JS


def open_tab(page):
    page.goto(f"/keys/{DEMO_KEY_ID}/")
    page.get_by_role("link", name="Who can use").click()
    expect(page.locator("#who-can-use-grid")).to_be_visible()


def serious_axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_key_owner_sees_the_account_view(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1100})
    open_tab(page)
    expect(page.get_by_test_id("who-can-use-view")).to_contain_text("Account view")
    trusted = page.locator(f'tr[data-principal="arn:aws:iam::{TRUSTED}:root"]')
    expect(trusted.locator('td[data-action="kms:Encrypt"]')).to_contain_text("Key side")
    expect(page.locator(f'tr[data-why-for="arn:aws:iam::{TRUSTED}:root"]')).to_contain_text(
        "key-policy:Allow use of the key; decided by account 444455556666's IAM policies, which this account "
        "cannot read")
    expect(page.locator(f'tr[data-principal="{EXAMPLE_ROLE}"]')).to_have_count(0)
    with page.expect_download() as download:
        page.locator("#who-can-use-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows and {row["view"] for row in rows} == {"account"}
    page.screenshot(path="/tmp/h4-who-can-use-account.png", full_page=True)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.screenshot(path="/tmp/h4-who-can-use-account-1024.png", full_page=True)


def test_operator_sees_every_account(demo, browser, live_server):
    get_user_model().objects.create_user("trainer", password=OPERATOR_PASSWORD, is_staff=True)
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    try:
        # The console's sign-in starts a new session, so the operator signs in to the admin second.
        sign_in(page, "key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
        page.goto("/admin/login/")
        page.get_by_label("Username").fill("trainer")
        page.get_by_label("Password").fill(OPERATOR_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        page.set_viewport_size({"width": 1280, "height": 1100})
        open_tab(page)
        expect(page.get_by_test_id("who-can-use-view")).to_contain_text("Operator view")
        role = page.locator(f'tr[data-principal="{EXAMPLE_ROLE}"]')
        encrypt = role.locator('td[data-action="kms:Encrypt"]')
        expect(encrypt).to_contain_text("Allowed")
        expect(page.locator(f'tr[data-why-for="{EXAMPLE_ROLE}"]')).to_contain_text(
            "iam:AllowUseOfKeyInAccount111122223333")
        expect(page.locator('tr[data-principal="arn:aws:iam::777788889999:user/Eve"] td').first).to_contain_text(
            "Denied")
        page.screenshot(path="/tmp/h4-who-can-use-operator.png", full_page=True)
        assert serious_axe_violations(page) == []
        page.get_by_role("link", name="Show the account view").click()
        expect(page.get_by_test_id("who-can-use-view")).to_contain_text("Account view")

        # The operator's Denial to fix sees both sides: the key policy and the role's IAM policy, as diffs.
        page.goto(f"/keys/fix/?principal={EXAMPLE_ROLE}&action=kms:GetKeyRotationStatus&key={DEMO_KEY_ARN}")
        expect(page.locator(".fix-change .fix-diff")).to_have_count(2)
        expect(page.locator(".fix-change[data-side=iam]")).to_contain_text("AllowUseOfKeyInAccount111122223333")
        # KeyAdmin may change the key policy, not account 444455556666's IAM: one Apply, one snippet.
        expect(page.get_by_role("button", name="Apply")).to_have_count(1)
        expect(page.locator(".fix-change[data-side=iam]").get_by_label("Statement to add")).to_be_visible()
        page.screenshot(path="/tmp/h4-denial-fix-operator.png", full_page=True)
        assert serious_axe_violations(page) == []
    finally:
        context.close()
