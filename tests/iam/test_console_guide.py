"""The AWS guide's second half in the browser, from `make run`'s demo: account 444455556666's IAM administrator
writes the IAM policy with the KMS key usage helper, attaches it to ExampleRole, switches into the role and uses
111122223333's key by ARN; after the policy is detached, the role's next use of the key is denied."""

import json

import pytest
from playwright.sync_api import expect

from accounts.models import IamRole
from tests.conftest import DEMO_KEY_ARN, TRUSTED

IAM_ADMIN_PASSWORD = "demo-IamAdmin-password-not-secret"
pytestmark = pytest.mark.browser


def _use_key(page, plaintext: str):
    page.goto("/keys/use/")
    page.get_by_label("Key ARN or alias ARN").fill(DEMO_KEY_ARN)
    page.get_by_label("Operation").select_option("Encrypt")
    page.get_by_label("Plaintext (Encrypt)").fill(plaintext)
    page.get_by_role("button", name="Run").click()


def _switch_to_example_role(page):
    page.goto("/switchrole/")
    page.get_by_label("Account ID or alias").fill("key-user")
    page.get_by_label("IAM role name").fill("ExampleRole")
    page.get_by_role("button", name="Switch role").click()
    expect(page.get_by_test_id("principal-arn")).to_contain_text("assumed-role/ExampleRole/")


def _switch_back(page):
    page.get_by_test_id("principal-name").click()
    page.get_by_role("button", name="Back to IamAdmin").click()
    expect(page.get_by_test_id("principal-arn")).to_have_text(f"arn:aws:iam::{TRUSTED}:user/IamAdmin")


def test_iam_administrator_shares_the_key_with_example_role_then_takes_it_back(demo, signed_in_page):
    # Start where a trainer's new key leaves the trainees: the role has no IAM policy for the key.
    IamRole.objects.get(account_id=TRUSTED, name="ExampleRole").managed_policies.clear()
    page = signed_in_page("key-user", "IamAdmin", IAM_ADMIN_PASSWORD)

    _switch_to_example_role(page)
    _use_key(page, "before")
    expect(page.locator("#use-error")).to_contain_text("is not authorized to perform: kms:Encrypt")
    _switch_back(page)

    # Create the policy with the helper: the statement the guide shows, naming the key by its ARN.
    page.goto("/iam/policies/create/")
    page.get_by_label("Key ARNs").fill(DEMO_KEY_ARN)
    page.get_by_role("button", name="Add statements to the editor").click()
    expect(page.locator(".kms-notice")).to_contain_text("KMS key usage statements are in the policy editor")
    statement, = json.loads(page.get_by_label("Policy editor (JSON)").input_value())["Statement"]
    assert statement["Resource"] == DEMO_KEY_ARN and "kms:Encrypt" in statement["Action"]
    page.get_by_label("Policy name").fill("UseTheSharedKey")
    page.get_by_role("button", name="Create policy").click()
    expect(page.locator("h1")).to_have_text("UseTheSharedKey")

    # Attach it to ExampleRole from the policy page.
    page.get_by_role("link", name="Entities attached").click()
    page.get_by_label("User, group or role").select_option("role:ExampleRole")
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator("#attached-entities")).to_contain_text("ExampleRole")

    _switch_to_example_role(page)
    _use_key(page, "hello from the other account")
    expect(page.locator("#use-output")).to_contain_text("Ciphertext (base64)")
    _switch_back(page)

    # Detach it on the role's page: the role's very next use is denied.
    page.goto("/iam/roles/ExampleRole/")
    page.get_by_role("button", name="Detach UseTheSharedKey").click()
    expect(page.locator("#attached-policies")).not_to_contain_text("UseTheSharedKey")
    _switch_to_example_role(page)
    _use_key(page, "after")
    expect(page.locator("#use-error")).to_contain_text("is not authorized to perform: kms:Encrypt")
