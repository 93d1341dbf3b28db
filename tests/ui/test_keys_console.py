"""The key pages in a real Chromium: the demo key admin shares the demo key with another account and takes
it back, creates a key through the wizard, is stopped by the validator; Alice of 444455556666 uses the
demo key by ARN, first as herself (denied) and then as ExampleRole (allowed)."""

import json

import pytest
from playwright.sync_api import expect

from keys.models import Key
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OWNER, TRUSTED

pytestmark = pytest.mark.browser

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
ALICE_PASSWORD = "demo-Alice-password-not-secret"
NEW_ACCOUNT = "777788889999"
SCREENSHOT = "/tmp/kms-key-page.png"


def open_demo_key(page):
    page.goto("/keys/")
    page.get_by_role("link", name="ExampleKey").click()
    expect(page.locator("#key-arn")).to_have_text(DEMO_KEY_ARN)


def switch_to_policy_view(page):
    page.get_by_role("link", name="Switch to policy view").click()
    expect(page.get_by_label("Policy (JSON)")).to_be_visible()


def test_key_admin_adds_and_removes_another_aws_account(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    open_demo_key(page)
    page.set_viewport_size({"width": 1400, "height": 1500})
    # Recent activity shows the key's use by default; "All activity" shows the console's own reads as well.
    page.get_by_test_id("show-all").click()
    expect(page.locator("#recent-activity")).to_contain_text("DescribeKey")
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_label("AWS account id").fill(NEW_ACCOUNT)
    page.get_by_role("button", name="Add other AWS accounts").click()
    expect(page.locator("#other-accounts")).to_contain_text(f"arn:aws:iam::{NEW_ACCOUNT}:root")

    switch_to_policy_view(page)
    policy = json.loads(page.get_by_label("Policy (JSON)").input_value())
    for sid in ("Allow use of the key", "Allow attachment of persistent resources"):
        statement = next(s for s in policy["Statement"] if s["Sid"] == sid)
        assert statement["Principal"]["AWS"] == [f"arn:aws:iam::{TRUSTED}:root", f"arn:aws:iam::{NEW_ACCOUNT}:root"]
    expect(page.locator("#policy-history")).to_contain_text(f"arn:aws:iam::{OWNER}:user/KeyAdmin")

    page.get_by_role("link", name="Switch to default view").click()
    page.get_by_role("button", name=f"Remove account {NEW_ACCOUNT}").click()
    expect(page.locator("#other-accounts")).not_to_contain_text(NEW_ACCOUNT)
    expect(page.locator("#other-accounts")).to_contain_text(TRUSTED)
    assert NEW_ACCOUNT not in Key.objects.get(arn=DEMO_KEY_ARN).policy


def test_a_bad_account_id_is_shown_by_the_field(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.goto(f"/keys/{DEMO_KEY_ID}/")

    page.get_by_label("AWS account id").fill("4444-5555")
    page.get_by_role("button", name="Add other AWS accounts").click()

    expect(page.locator("#account-id-error")).to_contain_text("is not an AWS account id")



def test_saving_an_invalid_policy_shows_the_validators_message(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.goto(f"/keys/{DEMO_KEY_ID}/")
    switch_to_policy_view(page)
    before = Key.objects.get(arn=DEMO_KEY_ARN).policy

    page.get_by_label("Policy (JSON)").fill(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/Nobody"}, "Action": "kms:*",
         "Resource": "*"}]}, indent=2))
    page.get_by_role("button", name="Check policy").click()
    expect(page.locator("#policy-findings")).to_contain_text("Statement[0].Principal.AWS")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator("#policy-error")).to_have_text(
        "Policy contains a statement with one or more invalid principals.")
    assert Key.objects.get(arn=DEMO_KEY_ARN).policy == before


def use_by_arn(page, operation, **fields):
    page.goto("/keys/use/")
    page.get_by_label("Key ARN or alias ARN").fill(DEMO_KEY_ARN)
    page.get_by_label("Operation").select_option(operation)
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Run").click()


def test_alice_uses_the_demo_key_by_arn_only_as_example_role(demo, signed_in_page):
    page = signed_in_page("key-user", "Alice", ALICE_PASSWORD)

    # Alice herself has no IAM policy for the key: AWS's error, and her own side explains it.
    use_by_arn(page, "Encrypt", **{"Plaintext (Encrypt)": "hello from alice"})
    expect(page.locator("#use-error")).to_contain_text(
        f"User: arn:aws:iam::{TRUSTED}:user/Alice is not authorized to perform: kms:Encrypt")
    expect(page.locator("#use-result")).to_contain_text("no policy attached to user Alice allows kms:Encrypt")

    # ExampleRole carries AllowUseOfKeyInAccount111122223333 and the key policy trusts 444455556666.
    page.goto("/switchrole/")
    page.get_by_label("Account ID or alias").fill("key-user")
    page.get_by_label("IAM role name").fill("ExampleRole")
    page.get_by_role("button", name="Switch role").click()
    page.wait_for_load_state()
    use_by_arn(page, "Encrypt", **{"Plaintext (Encrypt)": "hello from alice"})
    expect(page.locator("#use-output")).to_contain_text("Ciphertext (base64)")
    expect(page.locator("#use-explanation")).to_have_count(0)  # a success has nothing to explain
    ciphertext = page.locator("#use-output dd").nth(1).inner_text()

    use_by_arn(page, "Decrypt", **{"Ciphertext, base64 (Decrypt)": ciphertext})
    expect(page.locator("#use-output")).to_contain_text("hello from alice")

    # Never in the key list, even though usable.
    page.goto("/keys/")
    expect(page.locator("#key-table")).not_to_contain_text(DEMO_KEY_ID)


def test_trainer_asks_the_access_tab_about_the_other_accounts_role(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    page.goto(f"/keys/{DEMO_KEY_ID}/")
    page.get_by_role("link", name="Access").click()

    page.get_by_label("…or any principal ARN").fill(f"arn:aws:iam::{TRUSTED}:role/ExampleRole")
    page.get_by_label("Action").fill("kms:Encrypt")
    page.get_by_role("button", name="Explain").click()

    expect(page.locator("#access-answer")).to_contain_text("key-policy:Allow use of the key")
    expect(page.locator("#access-verdict")).to_have_text(f"Depends on account {TRUSTED}")
