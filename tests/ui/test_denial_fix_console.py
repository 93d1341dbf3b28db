"""Denial to fix in a real Chromium: a user of the key's account is denied Encrypt; the key administrator opens the
denied record in Event history, follows "Denial to fix", applies the proposed key policy statement, and the
same call made again with boto3 succeeds. A principal of another account gets only a snippet for the key owner."""

import copy
import re

import pytest
import yaml
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from audit.models import AuditEvent
from tests.conftest import DEMO_KEY_ARN, DEMO_SCENARIO, OWNER, TRUSTED

pytestmark = pytest.mark.browser

READER = ("AKIADEMOREADER000001", "demo/Reader/secret/not-secret/00000001")
KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
IAM_ADMIN_PASSWORD = "demo-IamAdmin-password-not-secret"
SCREENSHOT = "/tmp/h4-denial-fix.png"


@pytest.fixture
def world(transactional_db, load_scenario):
    """The demo, plus Reader: a user of the key owner's account with an access key and no policy at all."""
    document = copy.deepcopy(yaml.safe_load(DEMO_SCENARIO.read_text()))
    document["accounts"][0]["users"].append({"name": "Reader", "access_keys": [
        {"access_key_id": READER[0], "secret_access_key": READER[1]}]})
    load_scenario(document)
    return document


def test_key_admin_applies_the_fix_and_the_same_call_succeeds(world, aws, signed_in_page):
    reader_kms = aws("kms", READER)
    with pytest.raises(ClientError) as denied:
        reader_kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"fix me")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    record = AuditEvent.objects.get(event_name="Encrypt", error_code__contains="AccessDenied",
                                    principal_arn=f"arn:aws:iam::{OWNER}:user/Reader")

    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1200})
    page.goto(f"/events/{record.event_id}/")
    page.get_by_test_id("fix-link").click()
    expect(page.locator("#fix-result")).to_have_attribute("data-status", "changes")
    change = page.locator(".fix-change").first
    expect(change).to_have_attribute("data-side", "key-policy")
    expect(change.locator(".fix-add").filter(has_text='"kms:Encrypt"')).to_have_count(1)
    expect(change.locator(".fix-add").filter(has_text=f"arn:aws:iam::{OWNER}:user/Reader")).to_have_count(1)
    assert "kms:*" not in "".join(change.locator(".fix-add").all_inner_texts())
    page.screenshot(path=SCREENSHOT, full_page=True)

    change.get_by_role("button", name="Apply").click()
    expect(page.locator("#fix-applied")).to_contain_text("The same request is now allowed")
    page.screenshot(path="/tmp/h4-denial-fix-applied.png", full_page=True)

    assert reader_kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"fix me")["KeyId"] == DEMO_KEY_ARN


def test_iam_admin_of_the_callers_account_gets_a_snippet_for_the_key_owner(world, signed_in_page):
    # ExampleRole may Encrypt but not GetKeyRotationStatus: its IAM policy allows neither that nor does the
    # key policy; IamAdmin may fix the IAM side only, and sees the key side as a snippet.
    page = signed_in_page("key-user", "IamAdmin", IAM_ADMIN_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1200})
    page.goto(f"/keys/fix/?principal=arn:aws:iam::{TRUSTED}:role/ExampleRole"
              f"&action=kms:GetKeyRotationStatus&key={DEMO_KEY_ARN}")
    expect(page.locator("#fix-result")).to_have_attribute("data-status", "changes")
    iam_change = page.locator(".fix-change[data-side=iam]")
    expect(iam_change.get_by_role("button", name="Apply")).to_be_visible()
    key_change = page.locator(".fix-change[data-side=key-policy]")
    expect(key_change).to_contain_text("cannot read that policy")
    expect(key_change.get_by_label("Statement to add")).to_have_value(
        re.compile(r'"AWS": "arn:aws:iam::444455556666:role/ExampleRole"'))
    page.screenshot(path="/tmp/h4-denial-fix-snippet.png", full_page=True)
