"""Playwright fixtures for console tests, shared by every test package (a plugin of tests/conftest.py):
Debian's Chromium, headless, against pytest-django's live_server.

`page` is a fresh browser context per test (cookies do not leak between tests); `signed_in_page(account,
user, password)` signs in through the real sign-in form (user=None: root, with `account` the email).
Without /usr/bin/chromium the browser tests are skipped, unless KMSCONSOLE_REQUIRE_BROWSER=1 (CI) makes
that a failure. One module for all: Playwright's sync API refuses a second browser fixture in a session.
"""

import os
from pathlib import Path

import axe_playwright_python
import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are
# still synchronous, so tell Django not to refuse them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# axe-core for the accessibility checks of the browser tests: the copy shipped in the axe-playwright-python package.
AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run browser tests"
        if os.environ.get("KMSCONSOLE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def fresh_sign_in_counters(django_db_setup, django_db_blocker):
    # Lockout counters live in the (database) cache; one test's failures must not lock another test out.
    from django.core.cache import cache

    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def page(browser, live_server, fresh_sign_in_counters):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, account: str, user: str | None, password: str):
    """Fill in the console's sign-in form. user=None signs in the root user with `account` as its email."""
    if user is None:
        page.goto("/signin/root/")
        page.get_by_label("Root user email address").fill(account)
    else:
        page.goto("/signin/")
        page.get_by_label("Account ID or alias").fill(account)
        page.get_by_label("IAM user name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def signed_in_page(page):
    """signed_in_page(account, user, password) -> the page, signed in and showing the console's top bar."""

    def open_signed_in(account: str, user: str | None, password: str):
        sign_in(page, account, user, password)
        page.get_by_test_id("principal-arn").wait_for(state="attached")
        return page

    return open_signed_in
