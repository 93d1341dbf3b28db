"""The Labs pages with Django's test client against PostgreSQL: the lab list and self-study (any console
principal), the trainee's Lab panel (a seat's account), the trainer's classes (Django staff only).

Personas: the demo's KeyAdmin (a console principal of an ordinary account), a seat's trainee (signed in with
the credentials of the seat card), a trainer (Django staff) and a Django user who is not staff.
"""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.html import escape

from accounts.models import Account, IamUser
from audit.models import AuditEvent
from labs import service
from labs.models import Classroom, Seat, StepProgress
from labs.templatetags.labs_format import duration

LAB = "share-key"
FIRST_STEP, SECOND_STEP = "use-statement", "grants-for-services"
KEY_ADMIN = ("key-owner", "KeyAdmin", "demo-KeyAdmin-password-not-secret")
HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(account, username, password) -> Client:
    client = Client()
    response = client.post("/signin/", {"account": account, "username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


def trainee_of(seat: Seat, login: str = "keyadmin") -> Client:
    """Sign in as the seat card says (the password comes from the card, as a trainee's would)."""
    card = service.seat_card(seat)
    entry = next(item for item in card["logins"] if item["name"] == login)
    return signed_in(entry["account"], entry["user"], entry["password"])


@pytest.fixture
def trainer(transactional_db) -> Client:
    user = get_user_model().objects.create_user("trainer", password="trainer-password-not-secret", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def not_staff(transactional_db) -> Client:
    user = get_user_model().objects.create_user("visitor", password="visitor-password-not-secret")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def classroom(transactional_db) -> Classroom:
    return service.create_class(LAB, 2)


# ---- any console principal --------------------------------------------------------------------------------

def test_signed_out_visitors_go_to_sign_in(transactional_db):
    for url in ("/labs/", "/labs/seat/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_the_labs_page_lists_every_lab_with_its_summary_and_objectives(demo):
    html = signed_in(*KEY_ADMIN).get("/labs/").content.decode()
    for lab in service.all_labs():
        assert escape(lab.title) in html
        assert escape(lab.objectives[0]) in html
    assert "Classes (trainer)" not in html  # not staff


def test_self_study_creates_a_class_of_one_whose_card_only_its_starter_sees(demo):
    key_admin = signed_in(*KEY_ADMIN)
    response = key_admin.post("/labs/start/", {"lab": LAB})
    classroom = Classroom.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/labs/self-study/{classroom.pk}/"
    assert classroom.seat_count == 1 and classroom.created_by is None
    assert classroom.created_by_principal == "arn:aws:iam::111122223333:user/KeyAdmin"

    page = key_admin.get(f"/labs/self-study/{classroom.pk}/")
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    card = service.seat_card(classroom.seats.get())
    html = page.content.decode()
    for login in card["logins"]:
        assert login["account"] in html and login["password"] in html
    assert key_admin.get("/labs/").content.decode().count(f"/labs/self-study/{classroom.pk}/") == 1

    # Another principal does not learn the class exists.
    alice = signed_in("key-user", "Alice", "demo-Alice-password-not-secret")
    assert alice.get(f"/labs/self-study/{classroom.pk}/").status_code == 404
    assert alice.post(f"/labs/self-study/{classroom.pk}/close/").status_code == 404
    assert Classroom.objects.get().closed_at is None


def test_self_study_of_an_unknown_lab_or_beyond_the_limit_creates_nothing(demo):
    key_admin = signed_in(*KEY_ADMIN)
    response = key_admin.post("/labs/start/", {"lab": "no-such-lab"}, follow=True)
    assert "There is no such lab." in response.content.decode()
    assert not Classroom.objects.exists()
    for _ in range(3):
        key_admin.post("/labs/start/", {"lab": LAB})
    accounts_before = Account.objects.count()
    response = key_admin.post("/labs/start/", {"lab": LAB}, follow=True)
    assert "You already have 3 self-study labs open" in response.content.decode()
    assert Classroom.objects.count() == 3 and Account.objects.count() == accounts_before


def test_closing_a_self_study_lab_stops_its_credentials(demo):
    key_admin = signed_in(*KEY_ADMIN)
    key_admin.post("/labs/start/", {"lab": LAB})
    classroom = Classroom.objects.get()
    seat = classroom.seats.get()
    login = service.seat_card(seat)["logins"][0]
    response = key_admin.post(f"/labs/self-study/{classroom.pk}/close/", {"delete_accounts": "1"})
    assert response.status_code == 302
    classroom.refresh_from_db()
    assert classroom.closed_at is not None
    assert not Account.objects.filter(id=login["account"]).exists()
    refused = Client().post("/signin/", {"account": login["account"], "username": login["user"],
                                         "password": login["password"]})
    assert refused.status_code == 400


# ---- the trainee ------------------------------------------------------------------------------------------

def test_the_lab_panel_shows_the_seats_own_values_and_a_nav_link(classroom):
    first, second = classroom.seats.order_by("number")
    page = trainee_of(first).get("/labs/seat/")
    assert page.status_code == 200
    html = page.content.decode()
    assert first.values["keys"]["shared"]["arn"] in html
    assert first.values["accounts"]["user"] in html
    assert second.values["accounts"]["user"] not in html  # another seat's values never show
    assert 'data-testid="nav-lab"' in html and f"Lab: {classroom.title}" in html
    assert "Check my work" in html and "0 of 2 steps passed" in html
    card = service.seat_card(first)
    assert card["logins"][0]["password"] in html  # the seat's own card, for the CLI
    assert service.seat_card(second)["logins"][0]["password"] not in html


def test_a_principal_outside_any_seat_has_no_lab_panel(demo):
    key_admin = signed_in(*KEY_ADMIN)
    assert key_admin.get("/labs/seat/").status_code == 404
    assert key_admin.post(f"/labs/seat/steps/{FIRST_STEP}/check/", **HTMX).status_code == 404
    assert 'data-testid="nav-lab"' not in key_admin.get("/labs/").content.decode()


def test_check_my_work_fails_with_the_explanation_then_passes_after_the_real_change(classroom):
    seat = classroom.seats.get(number=1)
    trainee = trainee_of(seat)
    failing = trainee.post(f"/labs/seat/steps/{FIRST_STEP}/check/", **HTMX)
    assert failing.status_code == 200
    html = failing.content.decode()
    assert html.lstrip().startswith("<section") and "<html" not in html  # the step's fragment only
    assert "Not yet" in html and "ExampleRole" in html
    row = StepProgress.objects.get(seat=seat, step_id=FIRST_STEP)
    assert row.checks_run == 1 and row.passed_at is None

    service.solve_step(seat, FIRST_STEP)  # the step's solution, run as the seat's KeyAdmin
    StepProgress.objects.filter(seat=seat).update(checks_run=0)
    passing = trainee.post(f"/labs/seat/steps/{FIRST_STEP}/check/", **HTMX).content.decode()
    assert "Not yet" not in passing and "Passed" in passing
    # The next step becomes current, and the progress line changes, in the same answer (out of band).
    assert f'id="step-{SECOND_STEP}"' in passing and 'hx-swap-oob="true"' in passing
    assert "1 of 2 steps passed" in passing
    assert StepProgress.objects.get(seat=seat, step_id=FIRST_STEP).passed_at is not None


def test_check_my_work_without_htmx_returns_to_the_panel(classroom):
    trainee = trainee_of(classroom.seats.get(number=1))
    response = trainee.post(f"/labs/seat/steps/{FIRST_STEP}/check/")
    assert response.status_code == 302 and response["Location"] == f"/labs/seat/#step-{FIRST_STEP}"


def test_hints_come_one_at_a_time_and_are_recorded(classroom):
    seat = classroom.seats.get(number=1)
    trainee = trainee_of(seat)
    hints = service.get_lab(LAB).step(FIRST_STEP).hints
    first = trainee.post(f"/labs/seat/steps/{FIRST_STEP}/hint/", **HTMX).content.decode()
    assert seat.values["accounts"]["user"] in first  # the hint is rendered with the seat's values
    assert f"Show a hint ({len(hints) - 1} left)" in first
    assert hints[1] not in first
    for _ in range(len(hints) + 1):
        last = trainee.post(f"/labs/seat/steps/{FIRST_STEP}/hint/", **HTMX).content.decode()
    assert "Show a hint" not in last
    assert StepProgress.objects.get(seat=seat, step_id=FIRST_STEP).hints_revealed == len(hints)


def test_a_step_not_reached_yet_is_neither_checked_nor_hinted(classroom):
    seat = classroom.seats.get(number=1)
    trainee = trainee_of(seat)
    panel = trainee.get("/labs/seat/").content.decode()
    assert panel.count("Check my work</button>") == 1  # the first step's only
    assert "This step opens when the step before it passes." in panel
    for action in ("check", "hint"):
        html = trainee.post(f"/labs/seat/steps/{SECOND_STEP}/{action}/", **HTMX).content.decode()
        assert "Not reached yet" in html and "check-result" not in html
    assert not StepProgress.objects.filter(seat=seat, step_id=SECOND_STEP).exists()


def test_an_unknown_step_is_not_found(classroom):
    trainee = trainee_of(classroom.seats.get(number=1))
    assert trainee.post("/labs/seat/steps/no-such-step/check/", **HTMX).status_code == 404
    assert trainee.post("/labs/seat/steps/no-such-step/hint/", **HTMX).status_code == 404


# ---- the trainer ------------------------------------------------------------------------------------------

TRAINER_PAGES = ["/labs/classes/", "/labs/classes/{id}/", "/labs/classes/{id}/results.csv",
                 "/labs/classes/{id}/cards/", "/labs/classes/{id}/credentials.csv", "/labs/classes/{id}/close/",
                 "/labs/classes/{id}/seats/1/"]


def test_trainer_pages_refuse_everyone_but_staff(classroom, not_staff, demo):
    key_admin = signed_in(*KEY_ADMIN)  # a console principal is no trainer
    for url in [page.format(id=classroom.pk) for page in TRAINER_PAGES]:
        assert not_staff.get(url).status_code == 403, url
        signed_out = key_admin.get(url)
        assert signed_out.status_code == 302 and signed_out["Location"].startswith("/admin/login/"), url
    for url in ("/labs/classes/", f"/labs/classes/{classroom.pk}/close/",
                f"/labs/classes/{classroom.pk}/seats/1/reset/", f"/labs/classes/{classroom.pk}/seats/1/solve/"):
        assert not_staff.post(url, {"lab": LAB, "seats": "1", "step": FIRST_STEP}).status_code == 403, url
    assert Classroom.objects.count() == 1 and classroom.seats.count() == 2
    assert not StepProgress.objects.filter(passed_at__isnull=False).exists()
    classroom.refresh_from_db()
    assert classroom.closed_at is None


@pytest.mark.parametrize("seats,message", [
    ("0", "Ensure this value is greater than or equal to 1."),
    ("201", "Ensure this value is less than or equal to 200."),
    ("", "This field is required."),
    ("ten", "Enter a whole number."),
])
def test_a_class_size_out_of_range_is_refused_next_to_the_field(trainer, seats, message):
    accounts_before = Account.objects.count()
    response = trainer.post("/labs/classes/", {"lab": LAB, "seats": seats})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="field-error" id="id_seats-error">{message}</p>' in html
    assert 'aria-invalid="true" aria-describedby="id_seats-error id_seats_helptext"' in html
    assert not Classroom.objects.exists() and Account.objects.count() == accounts_before


def test_an_unknown_lab_is_refused_next_to_the_field(trainer):
    response = trainer.post("/labs/classes/", {"lab": "no-such-lab", "seats": "2"})
    assert response.status_code == 400
    assert 'id="id_lab-error"' in response.content.decode()
    assert not Classroom.objects.exists()


def test_the_trainer_creates_a_class_and_sees_its_dashboard(trainer):
    response = trainer.post("/labs/classes/", {"lab": LAB, "seats": "3"})
    classroom = Classroom.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/labs/classes/{classroom.pk}/"
    assert classroom.seat_count == 3 and classroom.created_by.username == "trainer"
    page = trainer.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 5s"' in page
    for number in (1, 2, 3):
        assert f'data-testid="seat-row-{number}"' in page
    assert classroom.title in trainer.get("/labs/classes/").content.decode()


def test_the_dashboard_poll_answers_the_board_only_and_shows_progress(trainer, classroom):
    seat = classroom.seats.get(number=2)
    service.reveal_hint(seat, FIRST_STEP)
    service.solve_step(seat, FIRST_STEP)
    fragment = trainer.get(f"/labs/classes/{classroom.pk}/", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="board"') and "<html" not in fragment
    assert f'data-testid="cell-2-{FIRST_STEP}" data-state="passed"' in fragment
    assert f'data-testid="cell-1-{FIRST_STEP}" data-state="current"' in fragment
    assert "1 hint" in fragment


def test_seat_detail_shows_its_checks_and_its_trail_as_an_operator_view(trainer, classroom):
    seat = classroom.seats.get(number=1)
    trainee = trainee_of(seat)
    trainee.post(f"/labs/seat/steps/{FIRST_STEP}/check/", **HTMX)
    assert trainee.get("/keys/").status_code == 200  # ListKeys, a read
    service.solve_step(seat, FIRST_STEP)
    service.solve_step(classroom.seats.get(number=2), FIRST_STEP)
    html = trainer.get(f"/labs/classes/{classroom.pk}/seats/1/").content.decode()
    assert "Operator view" in html
    assert "PutKeyPolicy" in html and "ConsoleLogin" in html  # from the trail of the seat's accounts
    assert ">ListKeys<" not in html  # successful reads only on request
    assert ">ListKeys<" in trainer.get(f"/labs/classes/{classroom.pk}/seats/1/", {"reads": "1"}).content.decode()
    other = classroom.seats.get(number=2).values["accounts"]["owner"]
    assert other not in html
    assert AuditEvent.objects.filter(recipient_account=other).exists()  # it has records: they are not shown


def test_solve_and_reset_a_seat(trainer, classroom):
    seat = classroom.seats.get(number=1)
    response = trainer.post(f"/labs/classes/{classroom.pk}/seats/1/solve/", {"step": FIRST_STEP}, follow=True)
    assert f"Step {FIRST_STEP} solved for seat 1" in response.content.decode()
    assert StepProgress.objects.get(seat=seat, step_id=FIRST_STEP).passed_at is not None
    assert not StepProgress.objects.filter(seat__number=2, passed_at__isnull=False).exists()

    response = trainer.post(f"/labs/classes/{classroom.pk}/seats/1/reset/", follow=True)
    assert "Seat 1 is back at the start." in response.content.decode()
    assert list(StepProgress.objects.filter(seat=seat).values_list("step_id", "passed_at")) == [(FIRST_STEP, None)]
    # The card the trainee holds still works after the reset.
    assert trainee_of(seat).get("/labs/seat/").status_code == 200


def test_results_and_credentials_as_csv(trainer, classroom):
    service.solve_step(classroom.seats.get(number=1), FIRST_STEP)
    results = trainer.get(f"/labs/classes/{classroom.pk}/results.csv")
    assert results["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(results.content.decode())))
    assert [(r["seat"], r["step"], r["passed"]) for r in rows] == [
        ("1", FIRST_STEP, "yes"), ("1", SECOND_STEP, "no"), ("2", FIRST_STEP, "no"), ("2", SECOND_STEP, "no")]

    credentials = trainer.get(f"/labs/classes/{classroom.pk}/credentials.csv")
    assert credentials["Cache-Control"].startswith("max-age=0")
    rows = list(csv.DictReader(io.StringIO(credentials.content.decode())))
    assert len(rows) == 2 * len(service.get_lab(LAB).seat.logins)
    first = rows[0]
    assert first["sign_in_url"] == f"http://testserver/signin/?account={first['account_id']}"
    user = IamUser.objects.get(account_id=first["account_id"], name=first["user_name"])
    assert user.check_console_password(first["password"])


def test_seat_cards_show_every_seat_for_printing(trainer, classroom):
    html = trainer.get(f"/labs/classes/{classroom.pk}/cards/").content.decode()
    for card in service.seat_cards(classroom):
        assert f'data-testid="seat-card-{card["number"]}"' in html
        for login in card["logins"]:
            assert login["password"] in html and login["secret_access_key"] in html
    assert "data-print" in html


def test_closing_a_class_asks_first_then_stops_its_credentials(trainer, classroom):
    seat = classroom.seats.get(number=1)
    trainee = trainee_of(seat)
    login = service.seat_card(seat)["logins"][0]
    confirm = trainer.get(f"/labs/classes/{classroom.pk}/close/").content.decode()
    assert 'name="delete_accounts"' in confirm and "cannot be undone" in confirm
    assert Classroom.objects.get().closed_at is None  # asking changed nothing

    response = trainer.post(f"/labs/classes/{classroom.pk}/close/", follow=True)
    assert "Class closed: its credentials no longer work." in response.content.decode()
    assert Classroom.objects.get().closed_at is not None
    assert Account.objects.filter(id=login["account"]).exists()  # kept: not asked to delete
    assert trainee.get("/labs/seat/").status_code == 302  # signed out by the closing
    refused = Client().post("/signin/", {"account": login["account"], "username": login["user"],
                                         "password": login["password"]})
    assert refused.status_code == 400
    assert trainer.get(f"/labs/classes/{classroom.pk}/credentials.csv").status_code == 404
    board = trainer.get(f"/labs/classes/{classroom.pk}/").content.decode()
    assert "every 5s" not in board and "Closed" in board


def test_closing_with_delete_removes_the_seats_accounts(trainer, classroom):
    account_ids = [a for seat in classroom.seats.all() for a in seat.values["accounts"].values()]
    trainer.post(f"/labs/classes/{classroom.pk}/close/", {"delete_accounts": "1"})
    assert not Account.objects.filter(id__in=account_ids).exists()
    assert trainer.get(f"/labs/classes/{classroom.pk}/").status_code == 200  # the results stay


@pytest.mark.parametrize("seconds,shown", [(None, ""), (0, "0 s"), (59, "59 s"), (60, "1 min 00 s"),
                                           (3599, "59 min 59 s"), (3600, "1 h 00 min"), (7384, "2 h 03 min")])
def test_the_time_a_seat_took_reads_plainly(seconds, shown):
    assert duration(seconds) == shown
