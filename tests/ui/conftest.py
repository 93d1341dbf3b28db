"""Console tests. The Playwright fixtures (`browser`, `page`, `signed_in_page`) live in tests/browser.py, shared
with the other packages' browser tests."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_sign_in_counters(fresh_sign_in_counters):
    """Every console test starts with no sign-in failures counted (lockout counters live in the cache)."""
