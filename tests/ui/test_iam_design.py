"""One design (issue 12): the IAM pages are built from the shared components (components/*.html, console.css)
like the key pages: the page header with its breadcrumbs, .table tables, .tabs, .field fields with the message
next to them, .flash messages and .badge badges; no serious or critical axe-core violation on any of them.

Each page type is visited as IamAdmin of 444455556666 (who administers that account's IAM) at 1280 px; a
screenshot of each goes to /tmp/iam-design-<name>.png for a person to look at.
"""

import re
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import expect

from tests.browser import DEFAULT_TIMEOUT_MS, sign_in

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
POLICY_ARN = "arn:aws:iam::444455556666:policy/AllowUseOfKeyInAccount111122223333"
PAGES = [
    ("users", "/iam/users/"),
    ("user-permissions", "/iam/users/Alice/"),
    ("user-groups", "/iam/users/Alice/?tab=groups"),
    ("user-credentials", "/iam/users/Alice/?tab=security_credentials"),
    ("user-tags", "/iam/users/Alice/?tab=tags"),
    ("user-create", "/iam/users/create/"),
    ("groups", "/iam/groups/"),
    ("group-create", "/iam/groups/create/"),
    ("roles", "/iam/roles/"),
    ("role-permissions", "/iam/roles/ExampleRole/"),
    ("role-trust", "/iam/roles/ExampleRole/?tab=trust"),
    ("role-tags", "/iam/roles/ExampleRole/?tab=tags"),
    ("role-create", "/iam/roles/create/"),
    ("policies", "/iam/policies/"),
    ("policy-permissions", f"/iam/policies/{POLICY_ARN}/"),
    ("policy-entities", f"/iam/policies/{POLICY_ARN}/?tab=entities"),
    ("policy-versions", f"/iam/policies/{POLICY_ARN}/?tab=versions"),
    ("policy-create", "/iam/policies/create/"),
    ("account", "/iam/account/"),
    ("user-unavailable", "/iam/users/NoSuchUser/"),
    ("role-unavailable", "/iam/roles/NoSuchRole/"),
]
# The section's own look that the shared components replaced: none of it may come back.
RETIRED = ".iam-table, .iam-panel, .iam-alert, .iam-badge, .iam-field, .iam-tabs, .iam-button, .iam-breadcrumbs, " \
          ".kms-table, .kms-panel, .kms-tabs, .kms-field, .kms-error, .kms-page, .kms-header"


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("""async () => (await axe.run(document)).violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)""")


@pytest.fixture
def iam_admin_page(demo, browser, live_server):
    context = browser.new_context(base_url=live_server.url, bypass_csp=True,  # axe is injected as a script
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, "key-user", "IamAdmin", "demo-IamAdmin-password-not-secret")
    page.get_by_test_id("principal-arn").wait_for(state="attached")
    yield page
    context.close()


def test_every_iam_page_type_uses_the_shared_components_without_serious_violations(iam_admin_page):
    page, problems = iam_admin_page, {}
    for name, address in PAGES:
        page.goto(address)
        page.wait_for_load_state()
        expect(page.locator(".htmx-request, .htmx-added, .htmx-settling")).to_have_count(0)
        expect(page.locator("main nav.crumbs ol li").first).to_be_visible()
        expect(page.locator("main h1")).to_have_count(1)
        expect(page.locator(RETIRED)).to_have_count(0)
        if name.endswith("unavailable"):
            expect(page.locator("main .flash.flash-error[role=alert]")).to_be_visible()
        elif "-" in name and name.split("-")[1] in ("permissions", "groups", "credentials", "tags", "trust",
                                                    "entities", "versions"):
            expect(page.locator("main nav.tabs a.tab-current[aria-current=page]")).to_have_count(1)
        page.screenshot(path=f"/tmp/iam-design-{name}.png", full_page=True)
        found = serious_violations(page)
        if found:
            problems[address] = found
    assert not problems, "\n".join(f"{url}: {finding}" for url, found in problems.items() for finding in found)


def test_a_refused_name_is_shown_next_to_its_field_and_nothing_is_created(iam_admin_page):
    page = iam_admin_page
    page.goto("/iam/groups/create/")
    page.get_by_label("User group name").fill("not a valid name!")
    page.get_by_role("button", name="Create user group").click()
    expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0)
    field = page.locator(".field.field-invalid").filter(has=page.get_by_label("User group name"))
    expect(field.locator(".field-error")).to_be_visible()
    page.screenshot(path="/tmp/iam-design-group-create-invalid.png", full_page=True)
    page.goto("/iam/groups/")
    expect(page.locator("main table.table td.table-empty")).to_have_text("No user groups to display.")


def test_a_created_group_and_a_user_s_keys_use_the_shared_tabs_tables_and_badges(iam_admin_page):
    page = iam_admin_page
    page.goto("/iam/groups/create/")
    page.get_by_label("User group name").fill("Developers")
    page.get_by_label("Alice").check()
    page.get_by_role("button", name="Create user group").click()
    expect(page).to_have_url(re.compile(r"/iam/groups/Developers/"))  # every step worked: the group's page
    expect(page.locator("main nav.tabs a.tab-current")).to_have_text("Users")
    expect(page.locator("#group-members.table")).to_contain_text("Alice")
    page.screenshot(path="/tmp/iam-design-group-detail.png", full_page=True)
    assert serious_violations(page) == []
    page.goto("/iam/users/Alice/?tab=security_credentials")
    expect(page.locator("#access-key-table .badge.badge-success")).to_have_text(["Active"])
