"""One design (issue 12): one stylesheet and one set of components on every page, sign-in and errors included."""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from playwright.sync_api import expect

from tests.conftest import DEMO_KEY_ID

PAGES = ["/", "/events/", "/keys/", f"/keys/{DEMO_KEY_ID}/", "/iam/users/", "/switchrole/", "/no-such-page/"]


def stylesheets(page) -> list[str]:
    return page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => new URL(l.href).pathname)")


def test_every_page_starts_from_console_css_and_links_each_section_stylesheet(demo, signed_in_page):
    section_files = sorted(p.name for p in (Path(settings.BASE_DIR) / "static" / "css").glob("*.css"))
    page = signed_in_page("key-owner", "KeyAdmin", "demo-KeyAdmin-password-not-secret")
    for address in PAGES:
        page.goto(address)
        links = stylesheets(page)
        assert links[0].endswith("/console.css"), (address, links)
        for name in section_files:
            assert any(link.endswith(f"/css/{name}") for link in links), (address, name, links)
        # The CSP forbids inline style: no page is served with a style attribute or a <style> element.
        html = page.request.get(address).text()
        assert " style=" not in html and "<style" not in html, address
        heading = page.locator("main h1").first
        expect(heading).to_be_visible()
        assert heading.evaluate("h => getComputedStyle(h).fontFamily") == page.evaluate(
            "() => getComputedStyle(document.body).fontFamily")


def test_sign_in_and_error_pages_use_the_components(demo, page):
    page.goto("/signin/")
    assert stylesheets(page)[0].endswith("/console.css")
    expect(page.locator("nav.tabs a.tab-current")).to_have_text("IAM user")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".field-invalid .field-error").first).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_class("button button-primary")

    page.goto("/no-such-page/")
    expect(page.get_by_test_id("error-page")).to_contain_text("Page not found")
    expect(page.get_by_role("link", name="Go to sign-in")).to_have_class("button button-primary")


def test_the_skip_link_is_the_first_stop_of_the_keyboard(demo, signed_in_page):
    page = signed_in_page("key-owner", "KeyAdmin", "demo-KeyAdmin-password-not-secret")
    page.goto("/events/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_components_render_their_tone_and_arguments():
    assert 'class="badge badge-error"' in render_to_string("components/badge.html", {"text": "AccessDenied", "tone": "error"})
    assert 'class="badge badge-neutral"' in render_to_string("components/badge.html", {"text": "x"})
    arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    html = render_to_string("components/arn.html", {"arn": arn, "short": "key/1234abcd-12ab-34cd-56ef-1234567890ab"})
    assert f'title="{arn}"' in html and f'data-copy="{arn}"' in html
    header = render_to_string("components/page_header.html", {
        "title": "Event history", "crumbs": [("CloudTrail", "/events/"), ("Event history", None)],
        "action_url": "/events/download/", "action_label": "Download"})
    assert '<span aria-current="page">Event history</span>' in header
    assert 'class="button button-primary" href="/events/download/"' in header
