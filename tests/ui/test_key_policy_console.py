"""The key policy tab in a real Chromium (issue 12, items 3 and 4): the policy view has a URL that survives a
reload, and "Other AWS accounts" says why it refuses an account, by the field, changing nothing."""

import pytest
from playwright.sync_api import expect

from keys.models import Key
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID

pytestmark = pytest.mark.browser

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"


def settled(page):
    expect(page.locator(".htmx-request, .htmx-added, .htmx-settling")).to_have_count(0)


def test_the_policy_view_is_kept_in_the_url(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1400})

    page.goto(f"/keys/{DEMO_KEY_ID}/?tab=policy&view=json")
    expect(page.get_by_label("Policy (JSON)")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Policy (JSON)")).to_be_visible()
    page.screenshot(path="/tmp/h1-policy-json-view.png", full_page=True)

    page.get_by_role("link", name="Switch to default view").click()
    expect(page.locator("#other-accounts")).to_be_visible()
    expect(page).to_have_url(f"{page.url.split('?')[0]}?tab=policy")
    page.reload()
    expect(page.locator("#other-accounts")).to_be_visible()
    page.screenshot(path="/tmp/h1-policy-default-view.png", full_page=True)

    page.get_by_role("link", name="Switch to policy view").click()
    expect(page.get_by_label("Policy (JSON)")).to_be_visible()
    assert page.url.endswith("?tab=policy&view=json")
    page.go_back()
    expect(page.locator("#other-accounts")).to_be_visible()


def add_account(page, account_id: str):
    field = page.get_by_label("AWS account id")
    settled(page)
    field.fill(account_id)
    page.get_by_role("button", name="Add other AWS accounts").click()
    settled(page)


def test_other_aws_accounts_says_why_an_account_is_not_added(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(f"/keys/{DEMO_KEY_ID}/")
    before = Key.objects.get(arn=DEMO_KEY_ARN).policy

    add_account(page, "123456789012")
    expect(page.locator("#account-id-error")).to_contain_text(
        "Account 123456789012 does not exist in this installation")
    expect(page.get_by_label("AWS account id")).to_have_value("123456789012")
    page.screenshot(path="/tmp/h1-other-accounts-unknown.png", full_page=True)

    add_account(page, "111122223333")
    expect(page.locator("#account-id-error")).to_contain_text("is this key's own account: it needs no entry here")
    expect(page.get_by_label("AWS account id")).to_have_value("111122223333")

    add_account(page, "444455556666")
    expect(page.locator("#account-id-error")).to_have_text("Account 444455556666 is already listed.")

    assert Key.objects.get(arn=DEMO_KEY_ARN).policy == before
