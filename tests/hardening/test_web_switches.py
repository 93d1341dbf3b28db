"""The console's deployment switches (issue 11 §5): Content-Security-Policy with nothing inline, the TLS switch,
the admin's sign-in lockout, styled error pages, and a database that `migrate` alone prepares."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory

from tests.conftest import DEMO_KEY_ID, REPO

KEY_ADMIN_PASSWORD = "demo-KeyAdmin-password-not-secret"


@pytest.fixture
def key_admin(demo):
    client = Client()
    response = client.post("/signin/", {"account": "111122223333", "username": "KeyAdmin", "password": KEY_ADMIN_PASSWORD})
    assert response.status_code == 302
    return client


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline <script>/<style>, style="" and on*="" attributes."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")]


def inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


def test_console_pages_send_a_strict_content_security_policy(key_admin):
    response = key_admin.get("/keys/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("path", ["/keys/", f"/keys/{DEMO_KEY_ID}/", f"/keys/{DEMO_KEY_ID}/?tab=tags",
                                  "/keys/create/", "/keys/use/", "/events/", "/switch-role/", "/no-such-page/"])
def test_console_pages_have_no_inline_script_or_style(key_admin, path):
    response = key_admin.get(path, follow=True)
    assert response.status_code in (200, 404)
    assert inline_code(response.content.decode()) == []


def test_the_sign_in_page_has_no_inline_script_or_style(demo):
    response = Client().get("/signin/")
    assert response.status_code == 200 and inline_code(response.content.decode()) == []
    assert 'name="htmx-config"' in response.content.decode()  # htmx injects no indicator <style>


def test_the_api_endpoint_answers_without_console_headers(demo, live_server):
    import requests

    response = requests.post(live_server.url + "/", data="{}", headers={"X-Amz-Target": "TrentService.ListKeys"})
    assert response.status_code == 400 and "Content-Security-Policy" not in response.headers


def _settings_with(env: dict) -> dict:
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
            "'proxy': s.SECURE_PROXY_SSL_HEADER, 'hsts': s.SECURE_HSTS_SECONDS, "
            "'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE}))")
    output = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "kmsconsole.settings", **env})
    return json.loads(output.stdout)


def test_kmsconsole_tls_turns_on_the_proxy_header_hsts_and_secure_cookies():
    assert _settings_with({"KMSCONSOLE_TLS": "1"}) == {
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"], "hsts": 31536000, "session": True, "csrf": True}
    assert _settings_with({"KMSCONSOLE_TLS": "0"}) == {"proxy": None, "hsts": 0, "session": False, "csrf": False}


@pytest.fixture
def no_lockouts(transactional_db):
    # The cache table is not a model's: the test database flush between tests leaves its counters.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_admin_sign_in_locks_after_five_failures(no_lockouts):
    User.objects.create_superuser("operator", "op@example.com", "operator-password-0001")
    User.objects.create_superuser("other", "other@example.com", "other-password-00001")
    client = Client()
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "operator", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    refused = client.post("/admin/login/", {"username": "operator", "password": "operator-password-0001"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    # Another operator is not locked out.
    assert client.post("/admin/login/", {"username": "other", "password": "other-password-00001"}).status_code == 302


def test_admin_sign_in_succeeds_and_clears_failures_before_the_limit(no_lockouts):
    User.objects.create_superuser("operator", "op@example.com", "operator-password-0001")
    client = Client()
    for _ in range(4):
        client.post("/admin/login/", {"username": "operator", "password": "wrong"})
    assert client.post("/admin/login/", {"username": "operator", "password": "operator-password-0001"}).status_code == 302


def test_unknown_console_url_gets_the_styled_404_with_navigation(key_admin):
    response = key_admin.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page"' in page and "Page not found" in page
    assert "Customer managed keys" in page and 'class="sidenav"' in page


def test_signed_out_404_is_styled_without_navigation(demo):
    response = Client().get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404 and 'data-testid="error-page"' in page and 'class="sidenav"' not in page


def test_csrf_failure_gets_the_styled_403(demo):
    response = Client(enforce_csrf_checks=True).post("/signin/", {"account": "x", "username": "y", "password": "z"})
    assert response.status_code == 403 and "Access denied" in response.content.decode()


def test_the_500_page_is_styled_and_survives_a_broken_session(demo):
    from kmsconsole.views import server_error

    request = RequestFactory().get("/keys/")
    request.session = {}
    response = server_error(request)
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()
    assert re.search(r"<link[^>]+console\.css", response.content.decode())


def test_migrate_alone_creates_the_cache_table(transactional_db):
    call_command("migrate", "kmsconsole", "zero", verbosity=0)
    assert "kmsconsole_cache" not in connection.introspection.table_names()
    call_command("migrate", "kmsconsole", verbosity=0)
    assert "kmsconsole_cache" in connection.introspection.table_names()
    from django.core.cache import cache

    cache.set("probe", 1)
    assert cache.get("probe") == 1
