"""The console's Labs pages.

Three audiences, three gates:
- any signed-in console principal (`console_login_required`): the lab list, and self-study: a class of one
  whose seat card only the principal that started it may see;
- the trainee, signed in to one of a seat's accounts (`service.seat_for_account`): the Lab panel with the
  seat's steps, "Check my work" and hints;
- the trainer, a Django staff user (`trainer_required`): classes, the live dashboard, a seat's detail
  (an "Operator view" of its checks and its trail), reset, solve, CSVs, seat cards and closing a class.

The pages call labs.service only; checks are evaluated by the service on the seat's current state, so a
trainee cannot pass a step by posting anything but "check it".
"""

from __future__ import annotations

import csv
import functools
import io
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.console_session import console_login_required, load_console
from audit.models import AuditEvent
from labs import service
from labs.models import Classroom, Seat
from labs.solutions import SolutionFailed

# A principal may keep a few self-study classes open at once; each one creates accounts.
SELF_STUDY_OPEN_LIMIT = 3
SEAT_TRAIL_LENGTH = 100
POLL_SECONDS = 5


# ----------------------------------------------------------------------------------------------------------
# Gates
# ----------------------------------------------------------------------------------------------------------


def trainer_required(view):
    """Trainer pages: Django staff only. Signed out of Django: the admin sign-in; signed in but not staff: 403.
    The console's navigation shows too when the same browser is also signed in to the console."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}")
        if not request.user.is_staff:
            raise PermissionDenied("Trainer pages are for staff users.")
        request.console = load_console(request)
        return view(request, *args, **kwargs)

    return wrapper


def _trainee_seat(request) -> Seat:
    seat = service.seat_for_account(request.principal.account_id)
    if seat is None:
        raise Http404("This account does not belong to a seat of an open class.")
    return seat


def _own_self_study(request, class_id) -> Classroom:
    """A self-study class is visible to the principal that started it, and to no one else (404, not 403: its
    existence is nobody else's business)."""
    classroom = Classroom.objects.filter(pk=class_id, created_by_principal=request.principal.arn).first()
    if classroom is None:
        raise Http404("No such self-study class of yours.")
    return classroom


def _trainer_class(class_id) -> Classroom:
    return get_object_or_404(Classroom, pk=class_id)


def _trainer_seat(class_id, number) -> Seat:
    return get_object_or_404(Seat.objects.select_related("classroom"), classroom_id=class_id, number=number)


# ----------------------------------------------------------------------------------------------------------
# Labs and self-study (any signed-in principal)
# ----------------------------------------------------------------------------------------------------------


@console_login_required
@require_GET
def lab_list(request):
    own = Classroom.objects.filter(created_by_principal=request.principal.arn, closed_at__isnull=True)
    return render(request, "labs/lab_list.html", {
        "labs": service.all_labs(),
        "own_classes": list(own),
        "seat": service.seat_for_account(request.principal.account_id),
        "self_study_limit": SELF_STUDY_OPEN_LIMIT,
    })


@console_login_required
@require_POST
def start_self_study(request):
    lab_id = request.POST.get("lab", "")
    try:
        service.get_lab(lab_id)
    except LookupError:
        messages.error(request, "There is no such lab.")
        return redirect("labs:lab_list")
    arn = request.principal.arn
    if Classroom.objects.filter(created_by_principal=arn, closed_at__isnull=True).count() >= SELF_STUDY_OPEN_LIMIT:
        messages.error(request, f"You already have {SELF_STUDY_OPEN_LIMIT} self-study labs open: "
                                "close one before you start another.")
        return redirect("labs:lab_list")
    classroom = service.create_class(lab_id, 1, created_by_principal=arn)
    return redirect("labs:self_study", class_id=classroom.pk)


@never_cache
@console_login_required
@require_GET
def self_study(request, class_id):
    classroom = _own_self_study(request, class_id)
    cards = [_printable(request, card) for card in service.seat_cards(classroom)] if classroom.is_open else []
    return render(request, "labs/self_study.html", {
        "classroom": classroom, "card": cards[0] if cards else None,
        "crumbs": [("Training labs", reverse("labs:lab_list")), (classroom.title, None)]})


@console_login_required
@require_POST
def close_self_study(request, class_id):
    classroom = _own_self_study(request, class_id)
    if classroom.is_open:
        service.close_class(classroom, delete_accounts=request.POST.get("delete_accounts") == "1")
        messages.success(request, f"Self-study lab “{classroom.title}” closed: its credentials no longer work.")
    return redirect("labs:lab_list")


# ----------------------------------------------------------------------------------------------------------
# The trainee's Lab panel
# ----------------------------------------------------------------------------------------------------------


@never_cache
@console_login_required
@require_GET
def seat_panel(request):
    seat = _trainee_seat(request)
    return render(request, "labs/seat_panel.html", {
        "seat": seat, "classroom": seat.classroom, "view": _panel_view(seat),
        "card": _printable(request, service.seat_card(seat)), "trainee": True})


@console_login_required
@require_POST
def check_my_work(request, step_id):
    seat = _trainee_seat(request)
    if not _reached(seat, step_id):
        return _step_fragment(request, seat, step_id)
    try:
        result = service.check_step(seat, step_id)
    except LookupError:
        raise Http404("No such step in this lab.") from None
    return _step_fragment(request, seat, step_id, result=result)


@console_login_required
@require_POST
def next_hint(request, step_id):
    seat = _trainee_seat(request)
    if _reached(seat, step_id):
        try:
            service.reveal_hint(seat, step_id)
        except LookupError:
            raise Http404("No such step in this lab.") from None
    return _step_fragment(request, seat, step_id)


def _reached(seat: Seat, step_id: str) -> bool:
    """Steps open one after another: a step's checks (and its `call` checks' time window) start when the step
    before passes, so a step not reached yet is neither checked nor hinted. An unknown step is a 404 later."""
    return seat.progress.filter(step_id=step_id).exists()


def _step_fragment(request, seat, step_id, result=None):
    """The step's card again (its status, hints, results): the HTMX target of both buttons. Without HTMX the
    buttons are ordinary forms, so go back to the panel."""
    if not request.htmx:
        return redirect(f"{reverse('labs:seat_panel')}#step-{step_id}")
    view = _panel_view(seat)
    index = next((i for i, s in enumerate(view["steps"]) if s["id"] == step_id), None)
    if index is None:
        raise Http404("No such step in this lab.")
    following = view["steps"][index + 1:index + 2]
    return render(request, "labs/seat_panel.html#update", {
        "seat": seat, "view": view, "step": view["steps"][index], "next_step": following[0] if following else None,
        "result": result, "trainee": True})


def _panel_view(seat: Seat) -> dict:
    """service.seat_view plus what the templates count: hints left per step, steps passed."""
    view = service.seat_view(seat)
    for number, step in enumerate(view["steps"], start=1):
        step["number"] = number
        step["hints_left"] = step["hints_total"] - len(step["hints"])
    view["passed_count"] = sum(1 for step in view["steps"] if step["passed"])
    return view


def _printable(request, card: dict) -> dict:
    """A seat card with absolute sign-in URLs, and each login's account named as the lab names it."""
    names = {account_id: name for name, account_id in card["accounts"].items()}
    for login in card["logins"]:
        login["sign_in_url"] = request.build_absolute_uri(login["sign_in_url"])
        login["account_name"] = names.get(login["account"], "")
    return card


# ----------------------------------------------------------------------------------------------------------
# Trainer: classes
# ----------------------------------------------------------------------------------------------------------


class CreateClassForm(forms.Form):
    lab = forms.ChoiceField(label="Lab")
    seats = forms.IntegerField(label="Seats", min_value=1, max_value=service.MAX_SEATS, initial=10,
                               help_text=f"One seat per trainee, 1 to {service.MAX_SEATS}. Each seat gets its own "
                                         "accounts and credentials.")

    def __init__(self, *args, labs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lab"].choices = [(lab.id, f"{lab.title} ({lab.minutes} min)") for lab in labs]


@trainer_required
@require_http_methods(["GET", "POST"])
def class_list(request):
    labs = service.all_labs()
    form = CreateClassForm(request.POST or None, labs=labs, initial={"lab": request.GET.get("lab")})
    if request.method == "POST" and form.is_valid():
        try:
            classroom = service.create_class(form.cleaned_data["lab"], form.cleaned_data["seats"],
                                             created_by=request.user)
        except ValueError as error:
            form.add_error("seats", str(error))
        else:
            messages.success(request, f"Class created with {classroom.seat_count} seat"
                                      f"{'s' if classroom.seat_count != 1 else ''}.")
            return redirect("labs:class_dashboard", class_id=classroom.pk)
    _describe_errors(form)
    classes = Classroom.objects.exclude(created_by=None).select_related("created_by")
    return render(request, "labs/class_list.html", {
        "form": form, "classes": classes, "labs": {lab.id: lab for lab in labs}},
        status=400 if form.errors else 200)


def _describe_errors(form) -> None:
    """Tie each refused field to its message (components/field.html's "<id>-error") for screen readers."""
    for name in form.errors:
        if name in form.fields:
            bound = form[name]
            described = [f"{bound.id_for_label}-error"] + ([f"{bound.auto_id}_helptext"] if bound.help_text else [])
            form.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described)})


@trainer_required
@require_GET
def class_dashboard(request, class_id):
    classroom = _trainer_class(class_id)
    context = {"classroom": classroom, "dashboard": service.dashboard(classroom), "poll_seconds": POLL_SECONDS}
    template = "labs/class_dashboard.html#board" if request.htmx else "labs/class_dashboard.html"
    return render(request, template, context)


@trainer_required
@require_GET
def results_csv(request, class_id):
    classroom = _trainer_class(class_id)
    return _csv_response(service.export_csv(classroom), f"results-{classroom.lab_id}-{classroom.pk}.csv")


@never_cache
@trainer_required
@require_GET
def seat_cards(request, class_id):
    classroom = _trainer_class(class_id)
    cards = [_printable(request, card) for card in service.seat_cards(classroom)] if classroom.is_open else []
    return render(request, "labs/seat_cards.html", {"classroom": classroom, "cards": cards})


CREDENTIAL_COLUMNS = ["seat", "login", "account_name", "account_id", "user_name", "password", "access_key_id",
                      "secret_access_key", "region", "sign_in_url"]


@never_cache
@trainer_required
@require_GET
def credentials_csv(request, class_id):
    """One row per seat and sign-in (account, user): what a trainer mails or prints for the trainees."""
    classroom = _trainer_class(class_id)
    if not classroom.is_open:
        raise Http404("A closed class has no working credentials.")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CREDENTIAL_COLUMNS)
    for card in service.seat_cards(classroom):
        card = _printable(request, card)
        for login in card["logins"]:
            writer.writerow([card["number"], login["name"], login["account_name"], login["account"], login["user"],
                             login["password"], login["access_key_id"], login["secret_access_key"],
                             card["region"], login["sign_in_url"]])
    return _csv_response(out.getvalue(), f"credentials-{classroom.lab_id}-{classroom.pk}.csv")


@trainer_required
@require_http_methods(["GET", "POST"])
def close_class(request, class_id):
    """GET: the confirmation; POST: close (and delete the accounts when asked)."""
    classroom = _trainer_class(class_id)
    if request.method == "POST" and classroom.is_open:
        delete_accounts = request.POST.get("delete_accounts") == "1"
        service.close_class(classroom, delete_accounts=delete_accounts)
        messages.success(request, "Class closed: its credentials no longer work"
                                  + (", and its accounts are deleted." if delete_accounts else "."))
        return redirect("labs:class_dashboard", class_id=classroom.pk)
    return render(request, "labs/close_class.html", {"classroom": classroom})


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ----------------------------------------------------------------------------------------------------------
# Trainer: one seat
# ----------------------------------------------------------------------------------------------------------


@trainer_required
@require_GET
def seat_detail(request, class_id, number):
    seat = _trainer_seat(class_id, number)
    account_ids = list(seat.accounts.values_list("id", flat=True))
    # Operator view: the seat's records across its accounts, read from the trail directly (a trainer is no
    # principal of those accounts, and sees the whole truth). By default what a trainer looks for: changes
    # and denials, not the reads every console page makes.
    everything = request.GET.get("reads") == "1"
    trail = AuditEvent.objects.filter(recipient_account__in=account_ids, event_time__gte=seat.started_at)
    if not everything:
        trail = trail.exclude(read_only=True, error_code="")
    trail = trail.only("event_id", "event_time", "recipient_account", "event_name", "principal_arn",
                       "caller_account", "resource_arn", "error_code")[:SEAT_TRAIL_LENGTH]
    return render(request, "labs/seat_detail.html", {
        "seat": seat, "classroom": seat.classroom, "view": _panel_view(seat), "trail": list(trail),
        "account_ids": account_ids, "trail_length": SEAT_TRAIL_LENGTH, "with_reads": everything,
        "title": f"Seat {seat.number}"})


@trainer_required
@require_POST
def reset_seat(request, class_id, number):
    seat = _trainer_seat(class_id, number)
    if not seat.classroom.is_open:
        messages.error(request, "The class is closed: its seats cannot be reset.")
    else:
        service.reset_seat(seat)
        messages.success(request, f"Seat {seat.number} is back at the start.")
    return redirect("labs:seat_detail", class_id=class_id, number=number)


@trainer_required
@require_POST
def solve_step(request, class_id, number):
    seat = _trainer_seat(class_id, number)
    step_id = request.POST.get("step") or None
    if not seat.classroom.is_open:
        messages.error(request, "The class is closed: its seats cannot be changed.")
        return redirect("labs:seat_detail", class_id=class_id, number=number)
    try:
        result = service.solve_step(seat, step_id)
    except LookupError:
        raise Http404("No such step in this lab.") from None
    except SolutionFailed as failure:
        # The seat's state got in the way (the trainee changed something the solution expects): say what.
        messages.error(request, f"The solution of step {step_id} could not run on seat {seat.number}: {failure}")
        return redirect("labs:seat_detail", class_id=class_id, number=number)
    if result.passed:
        messages.success(request, f"Step {result.step_id} solved for seat {seat.number}: every check passes.")
    else:
        messages.error(request, f"The solution of step {result.step_id} ran, but not every check passes: "
                                "see the step's results below.")
    return redirect(f"{reverse('labs:seat_detail', args=[class_id, number])}#step-{result.step_id}")
