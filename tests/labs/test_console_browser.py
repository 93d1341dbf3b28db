"""A class in Chromium, end to end: the trainer (Django staff) creates a class of 3 and prints the cards; a
trainee, in another browser, signs in with seat 1's card, solves the first step in the console's key policy
page and passes "Check my work"; the trainer's dashboard shows it without a reload.

Every Labs page is checked with axe-core (no serious or critical violation) and, under the real
Content-Security-Policy, for refused inline script or style. Set SCREENSHOT_DIR to keep a screenshot of each.
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from labs.models import Classroom, StepProgress
from tests.browser import DEFAULT_TIMEOUT_MS, sign_in
from tests.browser import AXE_JS

LAB = "share-key"
FIRST_STEP = "use-statement"
TRAINER_PASSWORD = "trainer-password-not-secret"
SETTLED = ".htmx-added, .htmx-settling, .htmx-request"
AXE = AXE_JS


def screenshot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"labs-{name}.png"), full_page=True)


def wait_settled(page):
    expect(page.locator(SETTLED)).to_have_count(0)


def new_page(browser, live_server, csp_errors, **options):
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda message: csp_errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page


def axe_violations(browser, live_server, storage_state, urls) -> dict[str, list[str]]:
    """Serious and critical axe findings per URL, in a context that lets axe's script in (bypass_csp)."""
    context = browser.new_context(base_url=live_server.url, storage_state=storage_state, bypass_csp=True)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    found = {}
    for url in urls:
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        if serious:
            found[url] = serious
    context.close()
    return found


@pytest.fixture
def trainer_user(transactional_db):
    return get_user_model().objects.create_user("trainer", password=TRAINER_PASSWORD, is_staff=True)


def test_a_trainee_passes_a_step_in_the_console_and_the_dashboard_shows_it_live(
        browser, live_server, fresh_sign_in_counters, trainer_user):
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing")
    csp_errors: list[str] = []

    # The trainer signs in to Django's admin and lands on the classes page.
    trainer = new_page(browser, live_server, csp_errors)
    trainer.goto("/labs/classes/")
    trainer.get_by_label("Username").fill("trainer")
    trainer.get_by_label("Password").fill(TRAINER_PASSWORD)
    trainer.get_by_role("button", name="Log in").click()
    expect(trainer.get_by_role("heading", name="Classes", exact=True)).to_be_visible()
    screenshot(trainer, "class-list")

    # A class of 0 is refused next to the field; a class of 3 opens its dashboard.
    trainer.get_by_label("Lab").select_option(LAB)
    trainer.get_by_label("Seats").fill("0")
    trainer.get_by_role("button", name="Create class").click()
    expect(trainer.locator("#id_seats-error")).to_have_text("Ensure this value is greater than or equal to 1.")
    screenshot(trainer, "class-create-refused")
    assert not Classroom.objects.exists()
    trainer.get_by_label("Seats").fill("3")
    trainer.get_by_role("button", name="Create class").click()
    expect(trainer.get_by_test_id("dashboard")).to_be_visible()
    classroom = Classroom.objects.get()
    dashboard_url = f"/labs/classes/{classroom.pk}/"
    assert trainer.url.endswith(dashboard_url)
    for number in (1, 2, 3):
        expect(trainer.get_by_test_id(f"cell-{number}-{FIRST_STEP}")).to_have_attribute("data-state", "current")
    screenshot(trainer, "class-dashboard")

    # The seat cards give seat 1's key administrator.
    trainer.goto(f"/labs/classes/{classroom.pk}/cards/")
    card = trainer.get_by_test_id("seat-card-1").get_by_test_id("login-keyadmin")
    account = card.get_by_test_id("card-account").inner_text()
    user = card.get_by_test_id("card-user").inner_text()
    password = card.get_by_test_id("card-password").inner_text()
    screenshot(trainer, "seat-cards")
    trainer.emulate_media(media="print")
    expect(trainer.locator(".sidenav, .topbar").first).to_be_hidden()
    screenshot(trainer, "seat-cards-print")
    trainer.emulate_media(media="screen")
    trainer.goto(dashboard_url)

    # The trainee, in another browser, signs in with the card and opens the Lab panel from the navigation.
    trainee = new_page(browser, live_server, csp_errors)
    sign_in(trainee, account, user, password)
    trainee.get_by_test_id("nav-lab").click()
    step = trainee.get_by_test_id(f"step-{FIRST_STEP}")
    expect(step.get_by_test_id("step-status")).to_have_text("Current step")
    key_arn = classroom.seats.get(number=1).values["keys"]["shared"]["arn"]
    expect(step).to_contain_text(key_arn)
    screenshot(trainee, "seat-panel")

    # Checked before any change: not yet, with the reason.
    step.get_by_role("button", name="Check my work").click()
    wait_settled(trainee)
    step = trainee.get_by_test_id(f"step-{FIRST_STEP}")
    expect(step.get_by_test_id("check-result").first).to_contain_text("Not yet")
    expect(step.locator(".lab-explanation").first).to_be_visible()
    step.get_by_role("button", name="Show a hint").click()
    wait_settled(trainee)
    expect(trainee.get_by_test_id(f"step-{FIRST_STEP}").locator(".lab-hints li")).to_have_count(1)
    screenshot(trainee, "seat-panel-not-yet")

    # The real console: the key's policy page, "Other AWS accounts" → add the other account of the seat.
    other_account = classroom.seats.get(number=1).values["accounts"]["user"]
    key_id = key_arn.rsplit("/", 1)[1]
    trainee.goto(f"/keys/{key_id}/?tab=policy")
    trainee.get_by_label("AWS account id").fill(other_account)
    trainee.get_by_role("button", name="Add other AWS accounts").click()
    wait_settled(trainee)
    expect(trainee.locator("#other-accounts")).to_contain_text(f"arn:aws:iam::{other_account}:root")

    trainee.get_by_test_id("nav-lab").click()
    step = trainee.get_by_test_id(f"step-{FIRST_STEP}")
    step.get_by_role("button", name="Check my work").click()
    wait_settled(trainee)
    step = trainee.get_by_test_id(f"step-{FIRST_STEP}")
    expect(step.get_by_test_id("step-status")).to_have_text("Passed")
    expect(step.get_by_test_id("check-result")).not_to_contain_text(["Not yet"])
    expect(trainee.get_by_test_id("progress")).to_have_text("1 of 2 steps passed")
    screenshot(trainee, "seat-panel-passed")
    assert StepProgress.objects.get(seat__number=1, step_id=FIRST_STEP).passed_at is not None

    # The trainer's page was never reloaded: the poll brings the pass.
    trainer.wait_for_timeout(100)
    assert trainer.url.endswith(dashboard_url)
    expect(trainer.get_by_test_id(f"cell-1-{FIRST_STEP}")).to_have_attribute("data-state", "passed", timeout=15_000)
    expect(trainer.get_by_test_id(f"cell-1-{FIRST_STEP}")).to_contain_text("1 hint")
    expect(trainer.get_by_test_id(f"cell-2-{FIRST_STEP}")).to_have_attribute("data-state", "current")
    screenshot(trainer, "class-dashboard-live")
    trainer.set_viewport_size({"width": 1024, "height": 768})
    screenshot(trainer, "class-dashboard-1024")
    trainee.set_viewport_size({"width": 1024, "height": 768})
    screenshot(trainee, "seat-panel-1024")

    trainer.get_by_role("link", name="Seat 1", exact=True).click()
    expect(trainer.get_by_text("Operator view")).to_be_visible()
    expect(trainer.locator(".lab-trail")).to_contain_text("PutKeyPolicy")
    screenshot(trainer, "seat-detail")
    trainer.goto(f"/labs/classes/{classroom.pk}/close/")
    screenshot(trainer, "close-class")

    trainee.goto("/labs/")
    screenshot(trainee, "lab-list")

    assert csp_errors == []
    trainer_pages = ["/labs/classes/", dashboard_url, f"/labs/classes/{classroom.pk}/cards/",
                     f"/labs/classes/{classroom.pk}/seats/1/", f"/labs/classes/{classroom.pk}/close/"]
    trainee_pages = ["/labs/", "/labs/seat/"]
    violations = axe_violations(browser, live_server, trainer.context.storage_state(), trainer_pages)
    violations |= axe_violations(browser, live_server, trainee.context.storage_state(), trainee_pages)
    assert violations == {}
    trainer.context.close()
    trainee.context.close()


def test_self_study_from_the_labs_page_gives_a_card_to_sign_in_with(browser, live_server, signed_in_page, demo):
    page = signed_in_page("key-owner", "KeyAdmin", "demo-KeyAdmin-password-not-secret")
    page.get_by_role("link", name="Labs", exact=True).click()
    page.get_by_test_id(f"lab-{LAB}").get_by_role("button", name="Start self-study").click()
    expect(page.get_by_role("heading", name="How to start")).to_be_visible()
    login = page.get_by_test_id("seat-card-1").get_by_test_id("login-keyadmin")
    account = login.get_by_test_id("card-account").inner_text()
    password = login.get_by_test_id("card-password").inner_text()
    screenshot(page, "self-study")
    assert axe_violations(browser, live_server, page.context.storage_state(), [page.url]) == {}

    # Signed out and in again with the card: the Lab panel of that seat.
    page.get_by_test_id("principal-name").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, account, "KeyAdmin", password)
    page.get_by_test_id("nav-lab").click()
    expect(page.get_by_role("heading", name="Lab: Share a key with another account")).to_be_visible()
