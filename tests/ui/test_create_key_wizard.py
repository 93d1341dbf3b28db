"""The create-key wizard in a real Chromium, as the demo's key administrator: the spec list follows type and
usage, each step stops on bad input with the message by the field, Back keeps the answers, and the policy
edited on the review is the one the new key gets. Screenshots of every step go to /tmp/h3-wizard-*.png."""

import json
import re

import pytest
from playwright.sync_api import expect

from keys.models import Key
from tests.browser import DEFAULT_TIMEOUT_MS, sign_in
from tests.conftest import TRUSTED
from tests.browser import AXE_JS

pytestmark = pytest.mark.browser

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
AXE = AXE_JS


def settled(page):
    """htmx has swapped and settled: the new step can be read and typed into."""
    expect(page.locator(".htmx-request, .htmx-added, .htmx-settling")).to_have_count(0)


def offered_specs(page) -> list[str]:
    return page.locator("input[name=key_spec]").evaluate_all("inputs => inputs.map(i => i.value)")


def choose(page, name: str, value: str):
    page.locator(f"input[name={name}][value={value}]").check()
    settled(page)


def next_step(page, title: str):
    page.get_by_role("button", name="Next", exact=True).click()
    settled(page)
    expect(page.locator("#step-title")).to_have_text(title)


def open_wizard(page):
    page.goto("/keys/")
    page.get_by_role("link", name="Create key").click()
    expect(page.locator("#step-title")).to_have_text("Configure key")


def test_key_admin_creates_a_key_step_by_step_and_the_key_gets_the_edited_policy(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    csp = []
    page.on("console", lambda message: csp.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    page.set_viewport_size({"width": 1280, "height": 1000})
    open_wizard(page)
    keys_before = Key.objects.count()

    # Step 1: the key spec list follows type and usage.
    assert offered_specs(page) == ["SYMMETRIC_DEFAULT"]
    choose(page, "key_usage", "GENERATE_VERIFY_MAC")
    expect(page.locator("input[name=key_spec]")).to_have_count(4)
    assert offered_specs(page) == ["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"]
    choose(page, "key_type", "ASYMMETRIC")
    expect(page.locator("input[name=key_usage][value=GENERATE_VERIFY_MAC]")).to_have_count(0)
    assert offered_specs(page) == ["RSA_2048", "RSA_3072", "RSA_4096"]
    choose(page, "key_usage", "KEY_AGREEMENT")
    expect(page.locator("input[name=key_spec]")).to_have_count(3)
    assert offered_specs(page) == ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"]
    page.screenshot(path="/tmp/h3-wizard-1-configure-asymmetric.png", full_page=True)
    choose(page, "key_type", "SYMMETRIC")
    choose(page, "key_usage", "ENCRYPT_DECRYPT")
    expect(page.locator("input[name=key_spec]")).to_have_count(1)
    page.screenshot(path="/tmp/h3-wizard-1-configure.png", full_page=True)
    next_step(page, "Add labels")

    # Step 2: an alias is required and must be free.
    next_step(page, "Add labels")
    expect(page.locator("#id_alias-error")).to_have_text("Enter an alias name.")
    page.get_by_label("Alias", exact=True).fill("ExampleKey")
    next_step(page, "Add labels")
    expect(page.locator("#id_alias-error")).to_contain_text("alias/ExampleKey already exists")
    page.get_by_label("Alias", exact=True).fill("payments")
    page.get_by_label("Description - optional").fill("Payments team key")
    page.get_by_label("Tags - optional").fill("Team=payments")
    page.screenshot(path="/tmp/h3-wizard-2-labels.png", full_page=True)
    next_step(page, "Define key administrative permissions")

    # Step 3: administrators of this account.
    page.get_by_label("KeyAdmin", exact=True).check()
    expect(page.get_by_label("Allow key administrators to delete this key.")).to_be_checked()
    page.screenshot(path="/tmp/h3-wizard-3-administrators.png", full_page=True)
    next_step(page, "Define key usage permissions")

    # Step 4: another AWS account, first mistyped.
    page.get_by_role("button", name="Add another AWS account").click()
    settled(page)
    page.get_by_label("AWS account ID 1", exact=True).fill("4444-5555")
    next_step(page, "Define key usage permissions")
    expect(page.locator("#other-account-1-error")).to_contain_text("4444-5555 is not an AWS account id")
    page.get_by_label("AWS account ID 1", exact=True).fill(TRUSTED)
    page.screenshot(path="/tmp/h3-wizard-4-usage.png", full_page=True)
    next_step(page, "Review")

    # Back keeps every answer; forward again reaches the same review.
    page.get_by_role("button", name="Previous").click()
    settled(page)
    expect(page.locator("#step-title")).to_have_text("Define key usage permissions")
    expect(page.get_by_label("AWS account ID 1", exact=True)).to_have_value(TRUSTED)
    page.get_by_role("button", name="Add labels").click()  # the step list goes back too
    settled(page)
    expect(page.get_by_label("Alias", exact=True)).to_have_value("payments")
    next_step(page, "Define key administrative permissions")
    expect(page.get_by_label("KeyAdmin", exact=True)).to_be_checked()
    next_step(page, "Define key usage permissions")
    next_step(page, "Review")
    assert Key.objects.count() == keys_before  # nothing exists before Finish

    # Step 5: the generated policy, edited; a policy KMS refuses first.
    editor = page.get_by_label("Key policy (JSON)")
    expect(editor).to_have_class(re.compile(r"\bpolicy-editor\b"))  # the vendored editor upgrades it
    policy = json.loads(editor.input_value())
    assert policy["Id"] == "key-consolepolicy-3"
    use = next(s for s in policy["Statement"] if s["Sid"] == "Allow use of the key")
    assert use["Principal"]["AWS"] == f"arn:aws:iam::{TRUSTED}:root"
    page.screenshot(path="/tmp/h3-wizard-5-review.png", full_page=True)
    editor.fill(json.dumps(policy)[:-3])
    page.get_by_role("button", name="Finish").click()
    settled(page)
    expect(page.locator("#id_policy-error")).to_be_visible()
    assert Key.objects.count() == keys_before
    page.screenshot(path="/tmp/h3-wizard-5-review-error.png", full_page=True)
    use["Action"] = ["kms:Decrypt", "kms:DescribeKey"]
    use["Sid"] = "Decrypt only, edited in the review"
    page.get_by_label("Key policy (JSON)").fill(json.dumps(policy, indent=2))
    page.get_by_role("button", name="Finish").click()

    expect(page.locator("h1")).to_have_text("payments", timeout=DEFAULT_TIMEOUT_MS)
    expect(page.locator(".flash-list")).to_contain_text("was created")
    key = Key.objects.get(aliases__name="alias/payments")
    assert json.loads(key.policy) == policy
    assert key.description == "Payments team key"
    assert list(key.tags.values_list("tag_key", "tag_value")) == [("Team", "payments")]
    page.screenshot(path="/tmp/h3-wizard-6-created.png", full_page=True)
    assert csp == []


def test_a_spec_that_does_not_match_the_usage_is_refused_on_the_first_step(demo, signed_in_page):
    """The page never offers such a spec; a stale or altered page could still post one."""
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    open_wizard(page)
    page.locator("input[name=key_spec]").evaluate("radio => { radio.value = 'RSA_2048'; }")

    next_step(page, "Configure key")

    expect(page.locator("#id_key_spec-error")).to_contain_text("RSA_2048 is not a symmetric key spec")


def test_an_external_origin_key_is_created_pending_import_with_import_for_administrators(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    open_wizard(page)
    page.get_by_text("Advanced options").click()
    page.get_by_label("External (Import key material)").check()
    next_step(page, "Add labels")
    page.get_by_label("Alias", exact=True).fill("imported")
    next_step(page, "Define key administrative permissions")
    page.get_by_label("KeyAdmin", exact=True).check()
    next_step(page, "Define key usage permissions")
    next_step(page, "Review")
    admins = next(s for s in json.loads(page.get_by_label("Key policy (JSON)").input_value())["Statement"]
                  if s["Sid"] == "Allow access for Key Administrators")
    assert "kms:ImportKeyMaterial" in admins["Action"]

    page.get_by_role("button", name="Finish").click()

    expect(page.locator("h1")).to_have_text("imported")
    key = Key.objects.get(aliases__name="alias/imported")
    assert (key.origin, key.state) == ("EXTERNAL", "PendingImport")


def test_every_wizard_step_and_the_aliases_pages_pass_axe(demo, browser, live_server):
    """No serious or critical axe-core violation (axe is injected, so this context bypasses the CSP)."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, "key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    problems = {}

    def check(name):
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => (await axe.run(document)).violations"
                               ".filter(v => ['serious', 'critical'].includes(v.impact))"
                               ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
        if result:
            problems[name] = result

    open_wizard(page)
    check("configure")
    next_step(page, "Add labels")
    next_step(page, "Add labels")
    check("labels with an error")
    page.get_by_label("Alias", exact=True).fill("axe")
    next_step(page, "Define key administrative permissions")
    check("administrators")
    next_step(page, "Define key usage permissions")
    page.get_by_role("button", name="Add another AWS account").click()
    settled(page)
    page.get_by_label("AWS account ID 1", exact=True).fill("12")
    next_step(page, "Define key usage permissions")
    check("usage with an error")
    page.get_by_label("AWS account ID 1", exact=True).fill("")
    next_step(page, "Review")
    check("review")
    page.goto("/keys/aliases/")
    check("aliases")
    page.goto("/keys/1234abcd-12ab-34cd-56ef-1234567890ab/?tab=aliases")
    check("key aliases tab")
    context.close()

    assert problems == {}
