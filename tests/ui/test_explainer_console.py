"""The Access explainer and "Use a key by ARN" in a real Chromium (issue 12, items 1 and 2).

The key owner asking about the other account's role is told what it can know (the failing case first: it
used to be told a guessed ImplicitDeny); an operator sees the real decision with both accounts' statements;
Use a key by ARN explains a denial with the caller's own side only, and nothing under a success."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, TRUSTED

pytestmark = pytest.mark.browser

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
ALICE_PASSWORD = "demo-Alice-password-not-secret"
EXAMPLE_ROLE = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"
ROLE_POLICY_SOURCE = "iam:AllowUseOfKeyInAccount111122223333/AllowUseOfKeyInAccount111122223333"
OPERATOR_PASSWORD = "operator-password-not-secret-01"


def settled(page):
    expect(page.locator(".htmx-request, .htmx-added, .htmx-settling")).to_have_count(0)


def ask(page, principal_arn: str, action: str):
    page.get_by_label("…or any principal ARN").fill(principal_arn)
    page.get_by_label("Action").fill(action)
    page.get_by_role("button", name="Explain").click()
    expect(page.locator("#access-answer")).to_be_visible()
    settled(page)


def open_access_tab(page):
    page.goto(f"/keys/{DEMO_KEY_ID}/")
    page.get_by_role("link", name="Access").click()
    expect(page.get_by_role("button", name="Explain")).to_be_visible()
    settled(page)


def test_the_key_owner_is_told_the_other_accounts_iam_decides(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1400})
    open_access_tab(page)
    expect(page.locator("#access-view")).to_contain_text("Account view: what account 111122223333 can know.")

    ask(page, EXAMPLE_ROLE, "kms:Encrypt")

    expect(page.locator("#access-verdict")).to_have_text("Depends on account 444455556666")
    expect(page.locator("#access-explanation")).to_contain_text(
        "The rest is decided by account 444455556666's IAM policies, which this account cannot read")
    expect(page.locator("#access-key-side")).to_contain_text('"Allow use of the key" allows account 444455556666')
    expect(page.locator("#access-answer")).not_to_contain_text("ImplicitDeny")
    expect(page.locator("#access-answer")).not_to_contain_text("AllowUseOfKeyInAccount")
    page.screenshot(path="/tmp/h1-access-account-view.png", full_page=True)

    ask(page, EXAMPLE_ROLE, "kms:NoSuchAction")
    expect(page.locator("#access-verdict")).to_have_text("Unknown")
    expect(page.locator("#access-explanation")).to_contain_text("kms:NoSuchAction is not a KMS action")


def test_an_operator_sees_the_real_decision_with_both_accounts(demo, signed_in_page):
    User.objects.create_user("trainer", password=OPERATOR_PASSWORD, is_staff=True)
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1400})
    # The operator signs in to the admin site in the same browser: the console session is kept.
    page.goto("/admin/login/")
    page.locator("#id_username").fill("trainer")
    page.locator("#id_password").fill(OPERATOR_PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()
    open_access_tab(page)
    expect(page.locator("#access-view")).to_contain_text("Operator view: sees every account.")

    ask(page, EXAMPLE_ROLE, "kms:Encrypt")

    expect(page.locator("#access-verdict")).to_have_text("Allowed")
    expect(page.locator("#access-reasons")).to_contain_text("key-policy:Allow use of the key")
    expect(page.locator("#access-reasons")).to_contain_text(ROLE_POLICY_SOURCE)
    page.screenshot(path="/tmp/h1-access-operator-view.png", full_page=True)

    ask(page, f"arn:aws:iam::{TRUSTED}:role/NoSuchRole", "kms:Encrypt")
    expect(page.locator("#access-verdict")).to_have_text("Unknown")
    expect(page.locator("#access-explanation")).to_have_text(
        "Account 444455556666 has no IAM role NoSuchRole: nothing to evaluate.")

    page.get_by_label("View").select_option("account")
    ask(page, EXAMPLE_ROLE, "kms:Encrypt")
    expect(page.locator("#access-verdict")).to_have_text("Depends on account 444455556666")


def use_by_arn(page, operation, **fields):
    page.goto("/keys/use/")
    page.get_by_label("Key ARN or alias ARN").fill(DEMO_KEY_ARN)
    page.get_by_label("Operation").select_option(operation)
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Run").click()
    settled(page)


def test_use_a_key_explains_only_a_denial_and_only_the_callers_side(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1000})

    use_by_arn(page, "DescribeKey")
    expect(page.locator("#use-error")).to_contain_text("AccessDeniedException")
    expect(page.locator("#use-explanation")).to_contain_text("no policy attached to user Alice allows kms:DescribeKey")
    expect(page.locator("#use-explanation")).not_to_contain_text("key-policy:")
    page.screenshot(path="/tmp/h1-use-key-denied.png", full_page=True)

    page.goto("/switchrole/")
    page.get_by_label("Account ID or alias").fill("key-user")
    page.get_by_label("IAM role name").fill("ExampleRole")
    page.get_by_role("button", name="Switch role").click()
    page.wait_for_load_state()
    use_by_arn(page, "DescribeKey")
    expect(page.locator("#use-output")).to_contain_text(DEMO_KEY_ARN)
    expect(page.locator("#use-explanation")).to_have_count(0)
    expect(page.locator("#use-result")).not_to_contain_text("Denied")
    page.screenshot(path="/tmp/h1-use-key-allowed.png", full_page=True)
