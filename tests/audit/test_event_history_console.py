"""Event history, event detail and a key's recent activity in Chromium (issue 12: item 5, item 6, the
"Event history and event detail are unstyled" bullet). Set SCREENSHOT_DIR to keep a screenshot of each page."""

import os
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from tests.audit.conftest import BOB_KEY
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, TRUSTED, access_key_of

ROLE_ARN = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"
SETTLED = ".htmx-added, .htmx-settling, .htmx-request"


def screenshot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def key_admin(signed_in_page):
    return signed_in_page("key-owner", "KeyAdmin", "demo-KeyAdmin-password-not-secret")


def encrypt_as_alice_in_example_role(aws, trail):
    alice = access_key_of(trail, TRUSTED, "Alice")
    credentials = aws("sts", alice).assume_role(RoleArn=ROLE_ARN, RoleSessionName="Alice")["Credentials"]
    kms = aws("kms", (credentials["AccessKeyId"], credentials["SecretAccessKey"]),
              session_token=credentials["SessionToken"])
    kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"event-history-console")


def wait_settled(page):
    expect(page.locator(SETTLED)).to_have_count(0)


def test_the_user_shown_for_a_cross_account_row_is_the_filter_that_finds_it(trail, aws, signed_in_page):
    encrypt_as_alice_in_example_role(aws, trail)
    page = key_admin(signed_in_page)
    page.goto("/events/?event_name=Encrypt")
    row = page.get_by_test_id("event-row").first
    user_shown = row.get_by_test_id("event-user").inner_text()
    assert user_shown == "Alice"
    expect(row).to_contain_text(f"Other account {TRUSTED}")

    page.goto("/events/")
    page.get_by_role("textbox", name="User name").fill(user_shown)
    page.get_by_role("button", name="Apply").click()
    wait_settled(page)
    expect(page.get_by_test_id("event-row")).to_have_count(1)
    expect(page.get_by_test_id("event-row")).to_contain_text("Encrypt")


def test_rows_read_like_cloudtrail_times_arns_badges_and_a_remembered_column_choice(trail, aws, signed_in_page):
    aws("kms", BOB_KEY).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"event-history-console")
    page = key_admin(signed_in_page)
    page.goto("/events/?event_name=Encrypt")
    row = page.get_by_test_id("event-row").first
    moment = row.locator("time")
    assert moment.get_attribute("datetime").endswith("+00:00")
    assert "UTC" in moment.get_attribute("title")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, (just now|\d+ \w+ ago)", moment.get_attribute("title"))
    arn = row.locator(".arn-text")
    expect(arn).to_have_text(f"key/{DEMO_KEY_ID}")
    assert arn.get_attribute("title") == DEMO_KEY_ARN
    expect(row.get_by_role("button", name=f"Copy ARN {DEMO_KEY_ARN}")).to_be_visible()
    # One line per row: the time does not wrap.
    assert moment.bounding_box()["height"] < 24
    screenshot(page, "event-history")

    # Show the event source column (hidden by default) and hide the user name; the choice survives a reload.
    expect(page.locator("th[data-col=source]")).to_be_hidden()
    page.locator("summary", has_text="Columns").click()
    page.get_by_role("checkbox", name="Event source").check()
    page.get_by_role("checkbox", name="User name").uncheck()
    expect(page.locator("th[data-col=source]")).to_be_visible()
    expect(page.locator("td[data-col=user]").first).to_be_hidden()
    page.reload()
    expect(page.locator("th[data-col=source]")).to_be_visible()
    expect(page.locator("th[data-col=user]")).to_be_hidden()


def test_an_error_row_has_an_error_badge(trail, aws, signed_in_page):
    kms_admin = aws("kms", access_key_of(trail, "111122223333", "KeyAdmin"))
    with pytest.raises(ClientError):
        kms_admin.describe_key(KeyId="alias/NoSuchAlias")
    page = key_admin(signed_in_page)
    page.goto("/events/?errors=1")
    rows = page.get_by_test_id("event-row")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".badge-error")).to_have_text("NotFoundException")


def test_event_detail_pretty_prints_the_record_and_links_the_key(trail, aws, signed_in_page):
    encrypt_as_alice_in_example_role(aws, trail)
    page = key_admin(signed_in_page)
    page.goto("/events/?event_name=Encrypt")
    page.get_by_test_id("event-link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Encrypt")
    expect(page.get_by_test_id("foreign-caller")).to_have_text(f"Other account {TRUSTED}")
    record = page.get_by_test_id("event-json").inner_text()
    assert '\n  "eventName": "Encrypt",' in record  # indented, one member a line
    assert "event-history-console" not in record  # never the plaintext
    screenshot(page, "event-detail")
    page.get_by_test_id("resource-link").click()
    expect(page).to_have_url(f"/keys/{DEMO_KEY_ID}/")


def test_recent_activity_shows_the_keys_use_other_accounts_first_and_refreshes_after_a_change(
        trail, aws, signed_in_page):
    kms_admin = aws("kms", access_key_of(trail, "111122223333", "KeyAdmin"))
    aws("kms", BOB_KEY).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"event-history-console")
    for _ in range(3):  # the owner's own use is newer than the other account's
        kms_admin.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"event-history-console")
    page = key_admin(signed_in_page)
    for _ in range(4):  # page views write DescribeKey and GetKeyPolicy records
        page.goto(f"/keys/{DEMO_KEY_ID}/?tab=tags")
    rows = page.get_by_test_id("activity-row")
    expect(rows).to_have_count(4)
    expect(rows.first.get_by_test_id("foreign-use")).to_have_text(f"Account {TRUSTED}")
    for index in range(4):
        expect(rows.nth(index)).to_contain_text("Encrypt")
    expect(page.locator("#recent-activity")).not_to_contain_text("DescribeKey")
    screenshot(page, "key-recent-activity")

    page.get_by_test_id("show-all").click()
    wait_settled(page)
    expect(page.locator("#recent-activity")).to_contain_text("DescribeKey")
    expect(page.get_by_test_id("show-all")).to_have_attribute("aria-pressed", "true")

    # A change made on the page refreshes the panel, which shows what happened meanwhile.
    page.get_by_test_id("show-use").click()
    wait_settled(page)
    aws("kms", BOB_KEY).decrypt(
        CiphertextBlob=aws("kms", BOB_KEY).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"x")["CiphertextBlob"])
    page.get_by_role("button", name="Remove").first.click()
    expect(page.get_by_test_id("activity-row").first).to_contain_text("Decrypt")
