"""Swagger UI, Redoc and DRF's browsable API in Chromium, under the console's CSP, offline (static files only)."""

from tests.browser import sign_in
from tests.conftest import DEMO_KEY_ID

SHOTS = "/tmp"


def _watch(page) -> list[str]:
    """Console errors (a CSP violation is one) and requests leaving the server."""
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: problems.append(f"external request {request.url}")
            if not request.url.startswith(page.context._base_url) and not request.url.startswith(("data:", "blob:"))
            else None)
    return problems


def test_swagger_ui_renders_the_schema_under_the_csp(page, live_server, demo):
    page.context._base_url = live_server.url
    problems = _watch(page)
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "KMS Console REST API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/keys/{key}/encrypt").count() == 1
    page.screenshot(path=f"{SHOTS}/a1_swagger.png")
    assert not problems, problems


def test_redoc_renders_the_schema(page, live_server, demo):
    page.context._base_url = live_server.url
    problems = _watch(page)
    page.goto("/api/redoc/")
    page.get_by_text("KMS Console REST API").first.wait_for()
    page.screenshot(path=f"{SHOTS}/a1_redoc.png")
    # Redoc's "API docs by Redocly" logo points at its CDN: the CSP blocks it, so nothing leaves this server.
    logo = "cdn.redoc.ly/redoc/logo-mini.svg"
    assert not [p for p in problems if logo not in p and "404" not in p], problems


def test_the_browsable_api_for_a_signed_in_console_user(page, live_server, demo):
    page.context._base_url = live_server.url
    sign_in(page, "111122223333", "KeyAdmin", "demo-KeyAdmin-password-not-secret")
    problems = _watch(page)
    page.goto(f"/api/v1/keys/{DEMO_KEY_ID}")
    page.get_by_text("alias/ExampleKey").first.wait_for()
    assert "text/html" in page.evaluate("document.contentType")
    page.screenshot(path=f"{SHOTS}/a1_browsable.png")
    assert not problems, problems
