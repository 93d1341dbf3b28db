"""Switch role in the console: decided by the same rules as AssumeRole, with a history and a way back."""

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from tests.conftest import OWNER, TRUSTED

pytestmark = pytest.mark.browser

ALICE_PASSWORD = "demo-Alice-password-not-secret"
EVE_PASSWORD = "demo-Eve-password-not-secret"

# The owner account lets 444455556666 into a read-only role, and Alice may use it (her own IAM policy).
KEY_VIEWER_ROLE = {"version": 1, "accounts": [
    {"id": OWNER, "roles": [{"name": "KeyViewerRole", "trust_policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"}, "Action": "sts:AssumeRole"}]}}]},
    {"id": TRUSTED, "users": [{"name": "Alice", "inline_policies": {
        "AssumeExampleRole": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{TRUSTED}:role/ExampleRole"}]},
        "AssumeKeyViewer": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{OWNER}:role/KeyViewerRole"}]},
    }}]},
]}


def switch_role(page, account, role, display_name=""):
    page.goto("/switchrole/")
    page.get_by_label("Account ID or alias").fill(account)
    page.get_by_label("IAM role name").fill(role)
    page.get_by_label("Display name (optional)").fill(display_name)
    page.get_by_role("button", name="Switch role").click()
    page.wait_for_load_state()


def open_identity_menu(page):
    page.get_by_test_id("principal-name").click()


def test_alice_switches_into_example_role_and_back(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)

    switch_role(page, "key-user", "ExampleRole", "Example")
    expect(page.get_by_test_id("principal-arn")).to_have_text(
        f"arn:aws:sts::{TRUSTED}:assumed-role/ExampleRole/Alice")
    expect(page.get_by_test_id("principal-name")).to_have_text("Example")

    open_identity_menu(page)
    expect(page.locator(".role-history")).to_contain_text("Example")
    page.get_by_role("button", name="Back to Alice").click()
    expect(page.get_by_test_id("principal-arn")).to_have_text(f"arn:aws:iam::{TRUSTED}:user/Alice")

    # The history keeps the role for a one-click switch.
    open_identity_menu(page)
    page.locator(".role-history").get_by_role("button", name="Example").click()
    expect(page.get_by_test_id("principal-arn")).to_contain_text("assumed-role/ExampleRole/Alice")

    events = AuditEvent.objects.filter(recipient_account=TRUSTED, event_name__in=["AssumeRole", "SwitchRole"])
    assert sorted(e.event_name for e in events) == ["AssumeRole", "AssumeRole", "SwitchRole", "SwitchRole"]
    assert all(e.error_code == "" for e in events)
    switch = next(e for e in events if e.event_name == "SwitchRole")
    assert switch.record["responseElements"] == {"SwitchRole": "Success"}
    assert switch.record["sessionCredentialFromConsole"] == "true"


def test_alice_switches_into_a_role_of_another_account(demo, load_scenario, signed_in_page):
    load_scenario(KEY_VIEWER_ROLE)
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)

    switch_role(page, OWNER, "KeyViewerRole")
    expect(page.get_by_test_id("principal-arn")).to_have_text(
        f"arn:aws:sts::{OWNER}:assumed-role/KeyViewerRole/Alice")
    expect(page.get_by_test_id("account")).to_contain_text(f"{OWNER} (key-owner)")
    expect(page.get_by_test_id("principal-name")).to_have_text("KeyViewerRole @ key-owner")


def test_switch_role_denied_shows_why(demo, signed_in_page):
    page = signed_in_page("outsider", "Eve", EVE_PASSWORD)

    switch_role(page, "key-user", "ExampleRole")
    expect(page.get_by_role("alert")).to_have_text(
        f"User: arn:aws:iam::777788889999:user/Eve is not authorized to perform: sts:AssumeRole on resource: "
        f"arn:aws:iam::{TRUSTED}:role/ExampleRole because no role trust policy allows the sts:AssumeRole action")
    expect(page.get_by_test_id("principal-arn")).to_have_text("arn:aws:iam::777788889999:user/Eve")

    failure = AuditEvent.objects.get(event_name="SwitchRole")
    assert failure.recipient_account == "777788889999"
    assert failure.record["responseElements"] == {"SwitchRole": "Failure"}


def test_switch_role_to_an_unknown_account_alias_is_refused(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)

    switch_role(page, "no-such-alias", "ExampleRole")
    expect(page.get_by_role("alert")).to_contain_text("Invalid information in one or more fields.")


def test_switch_role_form_flags_a_bad_role_name_next_to_the_field(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)

    switch_role(page, "key-user", "Example Role!")
    expect(page.locator("#id_role-error")).to_have_text("A role name uses letters, digits and +=,.@_- only.")
