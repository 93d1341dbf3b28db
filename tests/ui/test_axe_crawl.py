"""Accessibility: axe-core over every console page a principal can reach, as three principals (issue 12).

From the home page and the navigation, the crawl follows the console's own links (each key tab, the IAM
pages, Event history and an event detail...) and adds the error pages: 404 by address, 403 by a form sent
without its CSRF token. axe-core (the copy shipped in the axe-playwright-python package) runs once on each
page; no serious or critical violation may remain. One browser context per principal keeps the run short.
The 500 page shares errors/_page.html with these and is checked by rendering only (tests/hardening).
"""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import axe_playwright_python
import pytest
from playwright.sync_api import expect

from tests.browser import DEFAULT_TIMEOUT_MS, sign_in

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
PRINCIPALS = [
    ("key-owner", "KeyAdmin", "demo-KeyAdmin-password-not-secret"),
    ("key-user", "IamAdmin", "demo-IamAdmin-password-not-secret"),
    ("outsider", "Eve", "demo-Eve-password-not-secret"),
]
MAX_PAGES = 80
SKIPPED = re.compile(r"^/(signout|admin|api|static)/|/download/|\.pem$|\.csv$|\.jsonl$")
# Addresses that differ only by an id are one page to check (one event detail, not fifty).
ID_PARTS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|\d{12}")
SETTLING = ".htmx-request, .htmx-added, .htmx-settling"
INTERACTIVE = "a[href], button, input:not([type=hidden]), select, textarea, summary"


def normalized(href: str) -> str | None:
    """A same-site page address worth visiting, with only the query that selects a tab or view."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or not parts.path.startswith("/"):
        return None
    if SKIPPED.search(parts.path):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query) if k in ("tab", "view", "show")]
    return parts.path + (f"?{urlencode(query)}" if query else "")


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate("""async () => (await axe.run(document)).violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)""")
    return violations


def unreachable_controls(page) -> list[str]:
    """Visible controls taken out of the keyboard's tab order. A 1-pixel control is a stand-in kept for
    forms (the textarea under the policy editor), and an aria-hidden one (the create-key wizard's default
    submit button) is hidden from everyone, so neither is a control a person is meant to reach."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter(el => el.tabIndex < 0 && !el.closest("[inert], [aria-hidden=true]"))
        .filter(el => { const box = el.getBoundingClientRect(); return box.width > 1 && box.height > 1; })
        .map(el => el.outerHTML.slice(0, 120))""", INTERACTIVE)


def links_on(page) -> list[str]:
    return page.eval_on_selector_all("nav a[href], main a[href]", "links => links.map(a => a.getAttribute('href'))")


def crawl(page) -> tuple[dict[str, list[str]], int]:
    """Problems found on each page, by address; the number of pages visited."""
    problems, seen_patterns, queue, visited = {}, set(), ["/", "/events/", "/no-such-page/"], 0
    while queue and visited < MAX_PAGES:
        address = queue.pop(0)
        pattern = ID_PARTS.sub("<id>", address)
        if pattern in seen_patterns:
            continue
        seen_patterns.add(pattern)
        page.goto(address)
        page.wait_for_load_state()
        expect(page.locator(SETTLING)).to_have_count(0)  # htmx panels (a key's recent activity) loaded
        visited += 1
        found = serious_violations(page) + [f"not keyboard reachable: {c}" for c in unreachable_controls(page)]
        if found:
            problems[address] = found
        for href in links_on(page):
            target = normalized(href)
            if target and ID_PARTS.sub("<id>", target) not in seen_patterns:
                queue.append(target)
    return problems, visited


def forbidden_page_problems(page) -> list[str]:
    """The 403 page, as a form sent without its CSRF token shows it."""
    page.goto("/switchrole/")
    page.evaluate("() => document.querySelectorAll('main input[name=csrfmiddlewaretoken]').forEach(i => i.remove())")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.get_by_test_id("error-page").is_visible(), page.url
    return serious_violations(page)


@pytest.mark.parametrize("account,user,password", PRINCIPALS, ids=[p[1] for p in PRINCIPALS])
def test_every_console_page_has_no_serious_accessibility_violation(demo, browser, live_server, account, user, password):
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)  # axe is injected as a script
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/signin/")
        signed_out = serious_violations(page)
        sign_in(page, account, user, password)
        page.get_by_test_id("principal-arn").wait_for(state="attached")
        problems, visited = crawl(page)
        if signed_out:
            problems["/signin/ (signed out)"] = signed_out
        forbidden = forbidden_page_problems(page)
        if forbidden:
            problems["403 page"] = forbidden
    finally:
        context.close()
    print(f"{user}: axe-core on {visited} pages")
    assert visited >= 10, f"the crawl reached only {visited} pages"
    assert not problems, "\n".join(f"{url}: {finding}" for url, found in problems.items() for finding in found)
