"""The policy editor in a real Chromium: the key policy view shows line numbers and JSON highlighting, "Check
policy" marks the finding at its line, the textarea stays the form field (Save sends what was typed), Tab leaves
the editor, the IAM policy editors get the same editor, and the CSP reports no violation."""

import json

import pytest
from playwright.sync_api import expect

from keys.models import Key
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID
from tests.browser import AXE_JS

pytestmark = pytest.mark.browser

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"
IAM_ADMIN_PASSWORD = "demo-IamAdmin-password-not-secret"


def watch_csp(page) -> list[str]:
    problems = []
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    return problems


def test_key_policy_editor_marks_a_finding_at_its_line(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
    csp = watch_csp(page)
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(f"/keys/{DEMO_KEY_ID}/?tab=policy&view=json")
    editor = page.locator(".pe-editor")
    expect(editor).to_be_visible()
    expect(editor.locator(".CodeMirror-linenumber").filter(has_text="12")).to_have_count(1)
    expect(editor.locator(".cm-string.cm-property").first).to_be_visible()   # JSON highlighting

    document = json.loads(Key.objects.get(arn=DEMO_KEY_ARN).policy)
    document["Statement"][0]["Action"] = "kms:NoSuchAction"
    text = json.dumps(document, indent=4)
    page.get_by_label("Policy (JSON)").fill(text)              # the textarea is still the form field
    expect(editor.locator(".CodeMirror-code")).to_contain_text("kms:NoSuchAction")
    page.get_by_role("button", name="Check policy").click()
    expect(page.locator("#policy-findings")).to_contain_text("kms:NoSuchAction")
    action_line = text.splitlines().index(next(line for line in text.splitlines() if "NoSuchAction" in line)) + 1
    marker = editor.locator(".pe-marker-error")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("aria-label", f"Line {action_line}: " + marker.get_attribute("title"))
    expect(editor.locator(".pe-line-error")).to_contain_text("kms:NoSuchAction")
    page.screenshot(path="/tmp/h4-policy-editor.png", full_page=True)

    # Typing in the editor writes the textarea; Tab leaves the editor for the next control.
    editor.locator(".CodeMirror-code").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" ")
    assert page.get_by_label("Policy (JSON)").input_value().endswith(" ")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Check policy")).to_be_focused()
    assert csp == []


def test_iam_policy_editor_is_the_same_editor(demo, signed_in_page):
    page = signed_in_page("key-user", "IamAdmin", IAM_ADMIN_PASSWORD)
    csp = watch_csp(page)
    page.set_viewport_size({"width": 1280, "height": 1200})
    page.goto("/iam/policies/create/")
    expect(page.locator(".pe-editor")).to_be_visible()
    expect(page.locator(".pe-editor .CodeMirror-linenumber").filter(has_text="1").first).to_be_visible()
    page.screenshot(path="/tmp/h4-iam-policy-editor.png", full_page=True)
    assert csp == []


def test_the_editor_has_no_serious_accessibility_violation(demo, browser, live_server):
    from tests.browser import sign_in

    context = browser.new_context(base_url=live_server.url, bypass_csp=True)   # bypass: to inject axe-core
    page = context.new_page()
    try:
        sign_in(page, "key-owner", "KeyAdmin", KEY_ADMIN_PASSWORD)
        page.goto(f"/keys/{DEMO_KEY_ID}/?tab=policy&view=json")
        expect(page.locator(".pe-editor")).to_be_visible()
        page.get_by_label("Policy (JSON)").fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
        page.get_by_role("button", name="Check policy").click()
        expect(page.locator(".pe-editor .pe-marker")).not_to_have_count(0)
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        assert serious == []
    finally:
        context.close()
