"""The labs API used by the console pages (labs/views.py) and the `labs` management command.

Callers use only the functions here; lab files (labs/format.py), checks (labs/checks.py), seats
(labs/seats.py) and solutions (labs/solutions.py) live in their own modules.

A step starts when its seat reaches it: the first step when the seat is created (or reset), each next one
when the one before passes. `call` checks count only calls made since their step started.
"""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import transaction
from django.utils import timezone
from markdown_it import MarkdownIt

from awsapi.dispatch import commit_durably
from kmsconsole import statecache
from labs import checks, solutions
from labs import seats as provisioning
from labs.checks import CheckResult
from labs.format import Lab, Step, fill, flat_values, load_shipped_labs
from labs.models import Classroom, Seat, StepProgress

MAX_SEATS = 200
__all__ = ["CheckResult", "StepResult", "all_labs", "get_lab", "create_class", "seat_for_account", "seat_view",
           "check_step", "reveal_hint", "reset_seat", "solve_step", "close_class", "export_csv", "seat_cards",
           "seat_card",
           "dashboard"]


@dataclass(frozen=True)
class StepResult:
    step_id: str
    passed: bool
    checks: list[CheckResult] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------------
# Labs
# ----------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _labs() -> tuple[Lab, ...]:
    return tuple(load_shipped_labs())


def all_labs() -> list[Lab]:
    """Every shipped lab (labs/*.yaml), in order of difficulty."""
    return list(_labs())


# Labs being tried out that are not shipped (`labs verify --file`): found by get_lab while registered.
_trial_labs: dict[str, Lab] = {}


def get_lab(lab_id: str) -> Lab:
    """The lab with this id; LookupError when there is none."""
    if lab_id in _trial_labs:
        return _trial_labs[lab_id]
    for lab in _labs():
        if lab.id == lab_id:
            return lab
    raise LookupError(f"no lab {lab_id!r}")


@contextmanager
def trial_lab(lab: Lab):
    """Make a lab that is not shipped usable (by id) for the duration, e.g. to verify a new lab file."""
    _trial_labs[lab.id] = lab
    try:
        yield lab
    finally:
        _trial_labs.pop(lab.id, None)


# Raw HTML in a lab file is shown as text, never passed through: lab files need no HTML.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str, values: dict) -> str:
    return _markdown.render(fill(text, flat_values(values)))


# ----------------------------------------------------------------------------------------------------------
# Classes and seats
# ----------------------------------------------------------------------------------------------------------


def create_class(lab_id: str, seats: int, *, created_by=None, created_by_principal: str = "") -> Classroom:
    """A new class of `seats` seats (1-200), each with its own accounts and credentials; atomic."""
    lab = get_lab(lab_id)
    if not isinstance(seats, int) or not 1 <= seats <= MAX_SEATS:
        raise ValueError(f"a class has 1 to {MAX_SEATS} seats, not {seats}")
    now = timezone.now()
    with transaction.atomic(), statecache.one_bump():
        commit_durably()
        classroom = Classroom.objects.create(lab_id=lab.id, title=lab.title, seat_count=seats,
                                             created_by=created_by, created_by_principal=created_by_principal)
        created = provisioning.provision_seats(lab, classroom, seats)
        StepProgress.objects.bulk_create(
            [StepProgress(seat=seat, step_id=lab.steps[0].id, started_at=now) for seat in created])
    return classroom


def seat_for_account(account_id: str) -> Seat | None:
    """The seat of an open class whose accounts include this account."""
    return (Seat.objects.select_related("classroom")
            .filter(accounts__id=account_id, classroom__closed_at__isnull=True).first())


def _lab_of(seat: Seat) -> Lab:
    return get_lab(seat.classroom.lab_id)


def _current_step(lab: Lab, progress: dict[str, StepProgress]) -> Step | None:
    for step in lab.steps:
        row = progress.get(step.id)
        if row is None or row.passed_at is None:
            return step
    return None


def seat_view(seat: Seat) -> dict:
    """What the trainee's Lab panel shows: steps with rendered instructions, progress, hints so far, current step.

    Each step: id, title, instructions_html, hints (revealed so far), hints_total, question, started_at,
    passed, passed_at, checks_run, last_results (list of CheckResult dicts), is_current, reached."""
    lab = _lab_of(seat)
    values = seat.values
    progress = {row.step_id: row for row in seat.progress.all()}
    current = _current_step(lab, progress)
    steps = []
    for step in lab.steps:
        row = progress.get(step.id)
        revealed = row.hints_revealed if row else 0
        steps.append({
            "id": step.id,
            "title": step.title,
            "instructions_html": render_markdown(step.instructions, values),
            "hints": [fill(hint, flat_values(values)) for hint in step.hints[:revealed]],
            "hints_total": len(step.hints),
            "question": fill(step.question, flat_values(values)) if step.question else None,
            "started_at": row.started_at if row else None,
            "passed": bool(row and row.passed_at),
            "passed_at": row.passed_at if row else None,
            "checks_run": row.checks_run if row else 0,
            "last_results": row.last_results if row else [],
            "is_current": current is not None and step.id == current.id,
            "reached": row is not None,
        })
    return {"lab": lab, "seat": seat, "classroom": seat.classroom, "values": values, "steps": steps,
            "current_step": current.id if current else None, "done": current is None}


def _progress_row(seat: Seat, step_id: str) -> StepProgress:
    row, _ = StepProgress.objects.get_or_create(seat=seat, step_id=step_id, defaults={"started_at": timezone.now()})
    return row


def run_checks(lab: Lab, seat: Seat, step: Step, started_at) -> list[CheckResult]:
    return [checks.run_check(check, seat.values, started_at) for check in step.checks]


def check_step(seat: Seat, step_id: str) -> StepResult:
    """Run the step's checks on the seat's current state and record the result (and start the next step
    when this one passes)."""
    lab = _lab_of(seat)
    step = lab.step(step_id)
    row = _progress_row(seat, step_id)
    results = run_checks(lab, seat, step, row.started_at)
    passed = all(result.passed for result in results)
    now = timezone.now()
    row.checks_run += 1
    row.last_results = [result.as_json() for result in results]
    fields = ["checks_run", "last_results"]
    if passed and row.passed_at is None:
        row.passed_at = now
        fields.append("passed_at")
    row.save(update_fields=fields)
    if passed:
        index = lab.step_ids.index(step_id)
        if index + 1 < len(lab.steps):
            StepProgress.objects.get_or_create(seat=seat, step_id=lab.steps[index + 1].id,
                                               defaults={"started_at": now})
    return StepResult(step_id=step_id, passed=passed, checks=results)


def reveal_hint(seat: Seat, step_id: str) -> str | None:
    """The next hint of the step (recorded), or None when all are shown."""
    step = _lab_of(seat).step(step_id)
    with transaction.atomic():
        row = _progress_row(seat, step_id)
        row = StepProgress.objects.select_for_update().get(pk=row.pk)
        if row.hints_revealed >= len(step.hints):
            return None
        hint = step.hints[row.hints_revealed]
        row.hints_revealed += 1
        row.save(update_fields=["hints_revealed"])
    return fill(hint, flat_values(seat.values))


def reset_seat(seat: Seat) -> None:
    """Put the seat back at the start: its accounts rebuilt from the template (same ids and credentials),
    its progress cleared."""
    lab = _lab_of(seat)
    now = timezone.now()
    with transaction.atomic(), statecache.one_bump():
        commit_durably()
        provisioning.rebuild_seat_accounts(lab, seat)
        seat.progress.all().delete()
        StepProgress.objects.create(seat=seat, step_id=lab.steps[0].id, started_at=now)
        Seat.objects.filter(pk=seat.pk).update(started_at=now)


def solve_step(seat: Seat, step_id: str | None = None) -> StepResult:
    """Run the solution of the step (the current step when None) for the seat, then check it.

    Raises solutions.SolutionFailed when an operation does not do what the lab says, LookupError when every
    step has passed already and no step is named."""
    lab = _lab_of(seat)
    if step_id is None:
        current = _current_step(lab, {row.step_id: row for row in seat.progress.all()})
        if current is None:
            raise LookupError("every step of this seat has passed")
        step_id = current.id
    step = lab.step(step_id)
    _progress_row(seat, step_id)
    try:
        solutions.run_solution(step.solution, seat.values)
    except checks.Missing as missing:
        raise solutions.SolutionFailed(str(missing)) from None
    return check_step(seat, step_id)


def close_class(classroom: Classroom, *, delete_accounts: bool = False) -> None:
    """Stop the class's credentials: access keys deactivated, console passwords removed, role sessions
    ended, console sign-ins ended; and delete its accounts on request."""
    account_ids = [account_id for seat in classroom.seats.all() for account_id in seat.values["accounts"].values()]
    with transaction.atomic(), statecache.one_bump():
        commit_durably()
        provisioning.stop_credentials(account_ids)
        if delete_accounts:
            from accounts.models import Account

            Account.objects.filter(id__in=account_ids).delete()
        if classroom.closed_at is None:
            classroom.closed_at = timezone.now()
            classroom.save(update_fields=["closed_at"])


def delete_class(classroom: Classroom) -> None:
    """Remove a class, its seats and their accounts entirely (labs verify's scratch classes)."""
    close_class(classroom, delete_accounts=True)
    classroom.delete()


# ----------------------------------------------------------------------------------------------------------
# Trainer views: results, cards, dashboard
# ----------------------------------------------------------------------------------------------------------


def _seconds(row: StepProgress | None) -> int | None:
    if row is None or row.passed_at is None:
        return None
    return int((row.passed_at - row.started_at).total_seconds())


CSV_COLUMNS = ["class", "lab", "seat", "accounts", "step", "passed", "started_at", "passed_at", "seconds",
               "hints_revealed", "checks_run"]


def export_csv(classroom: Classroom) -> str:
    """Results as CSV: one row per seat and step."""
    board = dashboard(classroom)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for seat in board["seats"]:
        for cell in seat["cells"]:
            writer.writerow([
                str(classroom.id), classroom.lab_id, seat["number"], " ".join(seat["accounts"].values()),
                cell["step_id"], "yes" if cell["passed"] else "no",
                cell["started_at"].isoformat() if cell["started_at"] else "",
                cell["passed_at"].isoformat() if cell["passed_at"] else "",
                "" if cell["seconds"] is None else cell["seconds"], cell["hints"], cell["checks_run"],
            ])
    return out.getvalue()


def _accounts_in_lab_order(lab: Lab, values: dict) -> dict:
    # Seat.values is stored as jsonb, which does not keep the order of keys: show them as the lab lists them.
    return {name: values["accounts"][name] for name in lab.seat.accounts}


def seat_cards(classroom: Classroom) -> list[dict]:
    """Per seat (by number), what seat_card gives: for printing the whole class's cards."""
    lab = get_lab(classroom.lab_id)
    return [seat_card(seat, lab) for seat in classroom.seats.order_by("number")]


def seat_card(seat: Seat, lab: Lab | None = None) -> dict:
    """One seat's card: number, accounts (name -> id), region, and its logins in the lab's order (name,
    account, user, ARN, password, access key id and secret, sign-in path relative to the site: the page that
    prints the card knows the host). Only for the trainer and the seat's own trainee."""
    from django.urls import reverse

    lab = lab or _lab_of(seat)
    sign_in = reverse("accounts:sign_in")
    seat_secrets = provisioning.open_secrets(seat)
    logins = []
    for name in lab.seat.logins:
        login = seat.values["logins"][name]
        secret = seat_secrets.get(name, {})
        logins.append({"name": name, "account": login["account"], "user": login["user"], "arn": login["arn"],
                       "access_key_id": login["access_key_id"], "password": secret.get("password", ""),
                       "secret_access_key": secret.get("secret_access_key", ""),
                       "sign_in_url": f"{sign_in}?account={login['account']}"})
    return {"number": seat.number, "accounts": _accounts_in_lab_order(lab, seat.values), "logins": logins,
            "region": seat.values.get("region", "")}


def dashboard(classroom: Classroom) -> dict:
    """Seats x steps with pass/fail, time and hints, in two queries whatever the class's size.

    {"lab", "classroom", "steps": [{"id", "title", "passed_count"}], "seats": [{"id", "number", "accounts",
    "passed_count", "current_step", "cells": [{"step_id", "state", "passed", "started_at", "passed_at",
    "seconds", "hints", "checks_run"}]}]}; state is passed | current | failing | waiting."""
    lab = get_lab(classroom.lab_id)
    seat_rows = list(Seat.objects.filter(classroom=classroom).order_by("number").only("id", "number", "values"))
    progress: dict[int, dict[str, StepProgress]] = {}
    # Only what the board shows: last_results (every check's explanation) is most of a row's bytes.
    columns = ("seat_id", "step_id", "started_at", "passed_at", "hints_revealed", "checks_run")
    for row in StepProgress.objects.filter(seat__classroom=classroom).only(*columns):
        progress.setdefault(row.seat_id, {})[row.step_id] = row
    passed_per_step = {step.id: 0 for step in lab.steps}
    board_seats = []
    for seat in seat_rows:
        mine = progress.get(seat.id, {})
        current = _current_step(lab, mine)
        cells = []
        for step in lab.steps:
            row = mine.get(step.id)
            passed = bool(row and row.passed_at)
            if passed:
                state = "passed"
                passed_per_step[step.id] += 1
            elif current is not None and step.id == current.id:
                state = "failing" if row is not None and row.checks_run else "current"
            else:
                state = "waiting"
            cells.append({"step_id": step.id, "state": state, "passed": passed,
                          "started_at": row.started_at if row else None, "passed_at": row.passed_at if row else None,
                          "seconds": _seconds(row), "hints": row.hints_revealed if row else 0,
                          "checks_run": row.checks_run if row else 0})
        board_seats.append({"id": seat.id, "number": seat.number, "accounts": _accounts_in_lab_order(lab, seat.values),
                            "passed_count": sum(1 for cell in cells if cell["passed"]),
                            "current_step": current.id if current else None, "cells": cells})
    return {"lab": lab, "classroom": classroom,
            "steps": [{"id": step.id, "title": step.title, "passed_count": passed_per_step[step.id]}
                      for step in lab.steps],
            "seats": board_seats}

