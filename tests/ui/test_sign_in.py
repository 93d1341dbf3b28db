"""Console sign-in as an AWS principal: IAM user by alias or id, root by email; failures, lockout, sign-out."""

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from tests.conftest import OWNER, TRUSTED
from tests.browser import sign_in

pytestmark = pytest.mark.browser

ALICE_PASSWORD = "demo-Alice-password-not-secret"
ROOT_PASSWORD = "demo-root-password-not-secret"
FAILED = "Your authentication information is incorrect. Please try again."


def test_alice_signs_in_with_the_account_alias(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)

    expect(page.get_by_test_id("principal-arn")).to_have_text(f"arn:aws:iam::{TRUSTED}:user/Alice")
    expect(page.get_by_test_id("principal-name")).to_have_text("Alice")
    expect(page.get_by_test_id("account")).to_contain_text(f"{TRUSTED} (key-user)")
    expect(page.get_by_test_id("region")).to_have_text("us-west-2")
    expect(page.get_by_label("Region")).to_have_value("us-west-2")
    expect(page.get_by_role("navigation", name="Console")).to_contain_text("Customer managed keys")


def test_alice_signs_in_with_the_account_id_and_it_is_recorded(demo, signed_in_page):
    signed_in_page(TRUSTED, "Alice", ALICE_PASSWORD)

    event = AuditEvent.objects.get(event_name="ConsoleLogin", recipient_account=TRUSTED)
    assert event.record["responseElements"] == {"ConsoleLogin": "Success"}
    assert event.record["eventSource"] == "signin.amazonaws.com"
    assert event.record["eventType"] == "AwsConsoleSignIn"
    assert event.record["userIdentity"]["arn"] == f"arn:aws:iam::{TRUSTED}:user/Alice"
    assert ALICE_PASSWORD not in str(event.record)


def test_root_signs_in_with_the_account_email(demo, signed_in_page):
    page = signed_in_page("key-owner@example.com", None, ROOT_PASSWORD)

    expect(page.get_by_test_id("principal-arn")).to_have_text(f"arn:aws:iam::{OWNER}:root")
    expect(page.get_by_test_id("account")).to_contain_text(f"{OWNER} (key-owner)")


def test_wrong_password_and_unknown_user_get_the_same_message(demo, page):
    sign_in(page, "key-user", "Alice", "not-her-password")
    expect(page.get_by_role("alert")).to_have_text(FAILED)
    expect(page.get_by_label("Password")).to_have_value("")

    sign_in(page, "key-user", "Nobody", "whatever-password")
    expect(page.get_by_role("alert")).to_have_text(FAILED)

    failures = AuditEvent.objects.filter(event_name="ConsoleLogin", recipient_account=TRUSTED)
    assert [e.record["responseElements"] for e in failures] == [{"ConsoleLogin": "Failure"}] * 2
    assert {e.record["userIdentity"]["arn"] for e in failures} == {
        f"arn:aws:iam::{TRUSTED}:user/Alice", f"arn:aws:iam::{TRUSTED}:user/HIDDEN_DUE_TO_SECURITY_REASONS"}
    assert all("not-her-password" not in str(e.record) for e in failures)


def test_empty_fields_are_flagged_next_to_the_field(demo, page):
    page.goto("/signin/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#id_username-error")).to_have_text("This field is required.")


def test_five_failures_lock_sign_in_even_with_the_right_password(demo, page):
    for _ in range(5):
        sign_in(page, "key-user", "Alice", "guess")
    expect(page.get_by_role("alert")).to_contain_text("Sign-in is locked")

    sign_in(page, TRUSTED, "Alice", ALICE_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Sign-in is locked")
    expect(page.get_by_test_id("principal-arn")).to_have_count(0)

    # Another user of the account is not locked out.
    sign_in(page, "key-user", "Bob", "guess")
    expect(page.get_by_role("alert")).to_have_text(FAILED)


def test_sign_out_ends_the_console_session(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)
    page.get_by_text("Alice", exact=True).click()
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    page.goto("/")
    assert "/signin/" in page.url
    expect(page.get_by_test_id("principal-arn")).to_have_count(0)


def test_region_selector_changes_the_region_and_refuses_an_opt_in_region_not_enabled(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)

    page.get_by_label("Region").select_option("eu-west-1")
    expect(page.get_by_test_id("region")).to_have_text("eu-west-1")
    expect(page.get_by_label("Region")).to_have_value("eu-west-1")

    page.get_by_label("Region").select_option("af-south-1")
    expect(page.get_by_role("status")).to_contain_text(
        f"af-south-1 is an opt-in region that account {TRUSTED} has not enabled.")
    expect(page.get_by_test_id("region")).to_have_text("eu-west-1")
