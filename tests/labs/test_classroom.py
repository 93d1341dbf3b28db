"""Classes and seats through labs.service: provisioning, progress, hints, reset, dashboard, closing."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessKey, Account, IamUser
from labs import seats as provisioning
from labs import service
from labs.models import Classroom, Seat, StepProgress

pytestmark = pytest.mark.django_db


@pytest.fixture
def classroom():
    return service.create_class("share-key", 3)


def test_each_seat_gets_its_own_accounts(classroom):
    seats = list(classroom.seats.order_by("number"))
    assert [seat.number for seat in seats] == [1, 2, 3]
    ids = [account_id for seat in seats for account_id in seat.values["accounts"].values()]
    assert len(ids) == len(set(ids)) == 6
    for seat in seats:
        assert sorted(a.id for a in seat.accounts.all()) == sorted(seat.values["accounts"].values())
        owner = seat.values["accounts"]["owner"]
        assert seat.values["keys"]["shared"]["arn"].startswith(f"arn:aws:kms:us-west-2:{owner}:key/")
    assert Account.objects.filter(id__in=ids).count() == 6


def test_generated_account_ids_skip_existing_accounts(monkeypatch):
    Account.objects.create(id="100000000042")
    draws = iter([42, 42, 7, 8, 9, 10])  # 10**11 + 42 exists already, and is drawn twice
    monkeypatch.setattr(provisioning.secrets, "randbelow", lambda _: next(draws))
    ids = provisioning.AccountIds().take(2)
    assert "100000000042" not in ids and len(set(ids)) == 2


@pytest.mark.parametrize("count", [0, 201])
def test_a_class_has_one_to_two_hundred_seats(count):
    with pytest.raises(ValueError, match="1 to 200"):
        service.create_class("share-key", count)
    assert not Classroom.objects.exists() and not Account.objects.exists()


def test_unknown_lab_is_refused():
    with pytest.raises(LookupError):
        service.create_class("no-such-lab", 1)


def test_seat_cards_hold_working_credentials_that_values_never_show(classroom):
    cards = service.seat_cards(classroom)
    assert [card["number"] for card in cards] == [1, 2, 3]
    seat = classroom.seats.get(number=2)
    card = cards[1]
    for login in card["logins"]:
        user = IamUser.objects.get(account_id=login["account"], name=login["user"])
        assert user.check_console_password(login["password"])
        access_key = AccessKey.objects.get(pk=login["access_key_id"], user=user)
        assert access_key.secret_access_key == login["secret_access_key"]
        assert login["password"] not in json.dumps(seat.values)
        assert login["secret_access_key"] not in json.dumps(seat.values)
        assert login["sign_in_url"].endswith(f"?account={login['account']}")
    assert login["password"].encode() not in bytes(seat.secrets_sealed)


def test_checking_records_progress_and_starts_the_next_step(classroom):
    seat = classroom.seats.get(number=1)
    first = service.check_step(seat, "use-statement")
    assert not first.passed
    failing = [check for check in first.checks if not check.passed]
    assert any("role ExampleRole cannot Encrypt yet: the key policy of account" in c.explanation for c in failing)
    row = StepProgress.objects.get(seat=seat, step_id="use-statement")
    assert row.checks_run == 1 and row.passed_at is None and len(row.last_results) == 4

    solved = service.solve_step(seat)
    assert solved.step_id == "use-statement" and solved.passed
    row.refresh_from_db()
    assert row.passed_at is not None and row.checks_run == 2
    view = service.seat_view(seat)
    assert view["current_step"] == "grants-for-services"
    assert view["steps"][0]["passed"] and view["steps"][1]["is_current"] and view["steps"][1]["reached"]
    assert seat.values["accounts"]["user"] in view["steps"][1]["instructions_html"]


def test_hints_come_one_at_a_time_and_are_recorded(classroom):
    seat = classroom.seats.get(number=1)
    lab = service.get_lab("share-key")
    user_account = seat.values["accounts"]["user"]
    hints = [service.reveal_hint(seat, "use-statement") for _ in range(len(lab.steps[0].hints) + 1)]
    assert hints[-1] is None
    assert user_account in hints[0]
    assert StepProgress.objects.get(seat=seat, step_id="use-statement").hints_revealed == len(lab.steps[0].hints)
    assert service.seat_view(seat)["steps"][0]["hints"] == hints[:-1]


def test_reset_puts_the_seat_back_at_the_start_with_the_same_credentials(classroom):
    seat = classroom.seats.get(number=1)
    keyadmin = service.seat_cards(classroom)[0]["logins"][0]
    assert keyadmin["name"] == "keyadmin"  # in the lab's order
    password = keyadmin["password"]
    service.solve_step(seat)
    service.reveal_hint(seat, "grants-for-services")
    service.reset_seat(seat)
    assert list(seat.progress.values_list("step_id", "passed_at", "hints_revealed")) == [("use-statement", None, 0)]
    assert not service.check_step(seat, "use-statement").passed
    login = seat.values["logins"]["keyadmin"]
    assert IamUser.objects.get(account_id=login["account"], name="KeyAdmin").check_console_password(password)


def test_dashboard_takes_the_same_number_of_queries_whatever_the_class_size(classroom):
    small = service.create_class("share-key", 1)
    service.solve_step(classroom.seats.get(number=2))
    with CaptureQueriesContext(connection) as one_seat:
        service.dashboard(small)
    with CaptureQueriesContext(connection) as three_seats:
        board = service.dashboard(classroom)
    assert len(one_seat.captured_queries) == len(three_seats.captured_queries) <= 3
    assert [seat["passed_count"] for seat in board["seats"]] == [0, 1, 0]
    assert board["steps"][0]["passed_count"] == 1
    assert [cell["state"] for cell in board["seats"][1]["cells"]] == ["passed", "current"]


def test_export_csv_has_a_row_per_seat_and_step(classroom):
    service.solve_step(classroom.seats.get(number=3))
    rows = list(csv.DictReader(io.StringIO(service.export_csv(classroom))))
    assert len(rows) == 3 * 2
    passed = [(row["seat"], row["step"]) for row in rows if row["passed"] == "yes"]
    assert passed == [("3", "use-statement")]


def test_closing_a_class_stops_its_credentials(classroom):
    seat = classroom.seats.get(number=1)
    account_ids = list(seat.values["accounts"].values())
    assert service.seat_for_account(account_ids[0]) == seat
    service.close_class(classroom)
    assert not AccessKey.objects.filter(account_id__in=account_ids, status=AccessKey.ACTIVE).exists()
    assert not IamUser.objects.filter(account_id__in=account_ids).exclude(console_password="").exists()
    assert service.seat_for_account(account_ids[0]) is None
    assert Account.objects.filter(id__in=account_ids).count() == 2  # kept unless deletion is asked for


def test_closing_with_deletion_removes_the_accounts(classroom):
    ids = [a for seat in classroom.seats.all() for a in seat.values["accounts"].values()]
    service.close_class(classroom, delete_accounts=True)
    assert not Account.objects.filter(id__in=ids).exists()
    assert Seat.objects.filter(classroom=classroom).count() == 3  # results stay for the export


def test_creating_a_class_moves_the_state_token_once():
    from accounts.models import StateToken

    before = StateToken.objects.values_list("token", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        service.create_class("share-key", 2)
    bumps = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE accounts_statetoken")]
    assert len(bumps) == 1
    assert StateToken.objects.values_list("token", flat=True).first() != before
