"""Aliases in a real Chromium, as the demo's key administrator: the Aliases page creates an alias, moves it
to another key (UpdateAlias) and deletes it; KMS's refusals are shown by the field with nothing changed; the
key page's Aliases tab adds and deletes one. Screenshots go to /tmp/h3-aliases-*.png."""

import pytest
from playwright.sync_api import expect

from keys.models import Alias
from tests.conftest import DEMO_KEY_ID, OWNER

pytestmark = pytest.mark.browser

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
KEY_ADMIN = f"arn:aws:iam::{OWNER}:user/KeyAdmin"


def settled(page):
    expect(page.locator(".htmx-request, .htmx-added, .htmx-settling")).to_have_count(0)


def second_key() -> str:
    """Another symmetric key of the owner to move an alias to (set-up, not the operation under test)."""
    from accounts.models import Account
    from keys.store import console_key_policy, create_key

    return create_key(account=Account.objects.get(id=OWNER), region="us-west-2", key_spec="SYMMETRIC_DEFAULT",
                      key_usage="ENCRYPT_DECRYPT", description="second", changed_by=KEY_ADMIN,
                      policy_text=console_key_policy(OWNER, [KEY_ADMIN], [], [])).key_id


def row(page, alias: str):
    return page.locator(f"#alias-table tr[data-alias='{alias}']")


def test_key_admin_creates_retargets_and_deletes_an_alias(demo, signed_in_page):
    other = second_key()
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Aliases", exact=True).click()
    expect(page.locator("h1")).to_have_text("Aliases")
    expect(row(page, "alias/ExampleKey")).to_contain_text(DEMO_KEY_ID)

    # A taken name: AlreadyExistsException by the name, nothing created.
    page.get_by_label("Alias name", exact=True).fill("ExampleKey")
    page.get_by_label("Target key", exact=True).fill(other)
    page.get_by_role("button", name="Create alias").click()
    settled(page)
    expect(page.locator("#create-alias-name-error")).to_contain_text("alias/ExampleKey already exists")
    expect(page.get_by_label("Target key", exact=True)).to_have_value(other)
    assert Alias.objects.get(name="alias/ExampleKey").key.key_id == DEMO_KEY_ID
    page.screenshot(path="/tmp/h3-aliases-error.png", full_page=True)

    page.get_by_label("Alias name", exact=True).fill("orders")
    page.get_by_role("button", name="Create alias").click()
    settled(page)
    expect(row(page, "alias/orders")).to_contain_text(other)

    # Retarget to the demo key, then try a key that does not exist.
    row(page, "alias/orders").get_by_label("New target key for alias/orders").fill(DEMO_KEY_ID)
    page.get_by_role("button", name="Change target key of alias/orders").click()
    settled(page)
    expect(page.locator("#alias-notice")).to_contain_text(f"Alias alias/orders now points to key {DEMO_KEY_ID}")
    expect(row(page, "alias/orders")).to_contain_text(DEMO_KEY_ID)
    assert Alias.objects.get(name="alias/orders").key.key_id == DEMO_KEY_ID
    row(page, "alias/orders").get_by_label("New target key for alias/orders").fill("no-such-key")
    page.get_by_role("button", name="Change target key of alias/orders").click()
    settled(page)
    expect(row(page, "alias/orders").locator(".kms-field-error")).to_contain_text("no-such-key")
    assert Alias.objects.get(name="alias/orders").key.key_id == DEMO_KEY_ID
    page.screenshot(path="/tmp/h3-aliases-page.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete alias alias/orders").click()
    settled(page)
    expect(row(page, "alias/orders")).to_have_count(0)
    assert not Alias.objects.filter(name="alias/orders").exists()


def test_the_key_page_adds_and_deletes_an_alias(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/keys/{DEMO_KEY_ID}/?tab=aliases")

    page.get_by_label("Alias name", exact=True).fill("aws/mine")
    page.get_by_role("button", name="Add alias").click()
    settled(page)
    expect(page.locator("#new-alias-name-error")).to_contain_text("reserved for AWS managed keys")
    assert not Alias.objects.filter(name="alias/aws/mine").exists()

    page.get_by_label("Alias name", exact=True).fill("ledger")
    page.get_by_role("button", name="Add alias").click()
    settled(page)
    expect(page.locator("#key-aliases")).to_contain_text("alias/ledger")
    expect(page.locator("#general-configuration")).to_contain_text("alias/ledger")
    page.screenshot(path="/tmp/h3-aliases-key-tab.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete alias alias/ledger").click()
    settled(page)
    expect(page.locator("#key-aliases")).not_to_contain_text("alias/ledger")
    assert not Alias.objects.filter(name="alias/ledger").exists()
