"""Training labs over the REST API: the same labs.service the console's Labs pages call.

Three audiences, three gates, as on the console:
- any principal: the labs, and self-study (a class of one whose seat card, with the seat's passwords and
  secret keys, is answered once, to the principal that started it);
- the trainee, a principal of one of a seat's accounts: `seat` (its steps with the seat's values), checks and
  hints; a principal in no seat of an open class gets a 404;
- the trainer, a Django staff user signed in to the console as well (`request.user.operator`): classes of up
  to 200 seats, the dashboard, results, reset, solve and close. Everyone else gets a 403.

Checks are evaluated by the service on the seat's current state, never on anything the trainee sends.
"""

from __future__ import annotations

from django.contrib.auth import get_user
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from awsapi import errors
from labs import service
from labs.format import Lab, fill, flat_values
from labs.models import Classroom, Seat
from labs.solutions import SolutionFailed
from labs.views import SELF_STUDY_OPEN_LIMIT
from restapi.base import (ApiView, OperationFilterSet, body, body_members, limit_filter, page,
                          page_schema, path_parameter, responses)

# ---- documented shapes -----------------------------------------------------------------------------------

_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {**_TIME, "nullable": True}
_NULLABLE_STR = {**_STR, "nullable": True}
_ACCOUNTS = {"type": "object", "additionalProperties": _STR,
             "description": "The seat's accounts by the name the lab gives them, e.g. {\"owner\": \"...\"}."}


def _object(properties: dict, **extra) -> dict:
    return {"type": "object", "required": list(properties), "properties": properties, **extra}


LAB_SCHEMA = _object({"id": _STR, "title": _STR, "summary": _STR, "minutes": _INT,
                      "objectives": {"type": "array", "items": _STR},
                      "steps": {**_INT, "description": "How many steps the lab has."}})
LAB_DETAIL_SCHEMA = _object({
    **LAB_SCHEMA["properties"], "region": _STR,
    "accounts": {"type": "array", "items": _STR, "description": "The names of the accounts each seat gets."},
    "steps": {"type": "array", "items": _object({"id": _STR, "title": _STR, "checks": _INT, "hints": _INT,
                                                 "question": _BOOL})}})
CHECK_SCHEMA = _object({"kind": {"type": "string", "enum": ["decision", "call", "policy", "state"]},
                        "passed": _BOOL, "message": _STR,
                        "explanation": {**_STR, "description": "Why the check fails (empty when it passes)."}})
STEP_RESULT_SCHEMA = _object({"step_id": _STR, "passed": _BOOL, "checks": {"type": "array", "items": CHECK_SCHEMA},
                              "next_step": {**_NULLABLE_STR, "description": "The step to do next, null when done."}})
HINT_SCHEMA = _object({"step_id": _STR, "hint": {**_NULLABLE_STR, "description": "Null when every hint is shown."},
                       "hints_revealed": _INT, "hints_total": _INT})
SEAT_STEP_SCHEMA = _object({
    "id": _STR, "title": _STR,
    "instructions_markdown": {**_STR, "description": "The step's instructions with the seat's values."},
    "instructions_html": {**_STR, "description": "The same, rendered (raw HTML of the lab file is escaped)."},
    "hints": {"type": "array", "items": _STR, "description": "The hints revealed so far."},
    "hints_total": _INT,
    "question": _object({"prompt": _STR, "answer": {**_NULLABLE_STR, "description": "Shown once the step passes."}},
                        nullable=True),
    "started_at": _NULLABLE_TIME, "passed": _BOOL, "passed_at": _NULLABLE_TIME, "checks_run": _INT,
    "last_results": {"type": "array", "items": CHECK_SCHEMA}, "is_current": _BOOL,
    "reached": {**_BOOL, "description": "Steps open one after another: a step not reached is not checked."}})
LOGIN_SCHEMA = _object({"name": _STR, "account": _STR, "user": _STR, "arn": _STR, "access_key_id": _STR})
SEAT_SCHEMA = _object({
    "class_id": {"type": "string", "format": "uuid"}, "lab_id": _STR, "title": _STR, "seat": _INT, "region": _STR,
    "accounts": _ACCOUNTS, "logins": {"type": "array", "items": LOGIN_SCHEMA},
    "keys": {"type": "object", "additionalProperties": _object({"id": _STR, "arn": _STR, "region": _STR}),
             "description": "The seat's keys by the name the lab gives them."},
    "current_step": _NULLABLE_STR, "done": _BOOL, "steps": {"type": "array", "items": SEAT_STEP_SCHEMA}})
CLASS_SCHEMA = _object({
    "id": {"type": "string", "format": "uuid"}, "lab_id": _STR, "title": _STR, "seats": _INT,
    "kind": {"type": "string", "enum": ["class", "self-study"]}, "created_at": _TIME,
    "created_by": {**_NULLABLE_STR, "description": "The trainer's user name (classes)."},
    "created_by_principal": {**_NULLABLE_STR, "description": "The principal that started it (self-study)."},
    "open": _BOOL, "closed_at": _NULLABLE_TIME})
CELL_SCHEMA = _object({"step_id": _STR, "state": {"type": "string", "enum": ["passed", "current", "failing",
                                                                             "waiting"]},
                       "passed": _BOOL, "started_at": _NULLABLE_TIME, "passed_at": _NULLABLE_TIME,
                       "seconds": {**_INT, "nullable": True, "description": "From start to pass."},
                       "hints": _INT, "checks_run": _INT})
SEAT_ROW_SCHEMA = _object({"number": _INT, "accounts": _ACCOUNTS, "passed_count": _INT,
                           "current_step": _NULLABLE_STR, "cells": {"type": "array", "items": CELL_SCHEMA}})
DASHBOARD_SCHEMA = _object({
    "class": CLASS_SCHEMA,
    "steps": {"type": "array", "items": _object({"id": _STR, "title": _STR, "passed_count": _INT})},
    "seats": {"type": "array", "items": SEAT_ROW_SCHEMA}})
CARD_SCHEMA = _object({
    "number": _INT, "accounts": _ACCOUNTS, "region": _STR,
    "logins": {"type": "array", "items": _object({
        **LOGIN_SCHEMA["properties"], "password": _STR, "secret_access_key": _STR,
        "sign_in_url": {"type": "string", "format": "uri"}})}})
CREATED_SCHEMA = _object({
    "class": CLASS_SCHEMA,
    "cards": {"type": "array", "items": CARD_SCHEMA,
              "description": "The seats' cards with their passwords and secret keys: answered once, here only."}})

CREATE_BODY = {"type": "object", "properties": {"seats": {
    "type": "integer", "minimum": 1, "maximum": service.MAX_SEATS,
    "description": "Trainers only: a class of this many seats. Without it, a self-study class of one."}}}
SOLVE_BODY = {"type": "object", "properties": {"step": {
    "type": "string", "description": "The step to solve; the seat's current step when left out."}}}
CLOSE_BODY = {"type": "object", "properties": {"delete_accounts": {
    "type": "boolean", "description": "Also delete the seats' accounts (default false)."}}}

LAB_PARAMETER = path_parameter("lab", "A lab id, e.g. share-key.")
STEP_PARAMETER = path_parameter("step", "A step id of the seat's lab.")
CLASS_PARAMETER = OpenApiParameter("class_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="A class id.")
SEAT_PARAMETER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="A seat number.")


# ---- lists -------------------------------------------------------------------------------------------------


class LabFilter(OperationFilterSet):
    limit = limit_filter(100, 50)

    class Meta:
        model = Classroom  # django-filter needs a model for its form; nothing is queried through it
        fields = []


class ClassFilter(OperationFilterSet):
    limit = limit_filter(200, 50)
    lab = filters.CharFilter(help_text="Only classes of this lab.")
    open = filters.BooleanFilter(help_text="Only open (true) or closed (false) classes.")

    class Meta:
        model = Classroom
        fields = []


def _offset(cursor: str) -> int:
    """Cursors of these lists are positions in a stable order (the labs' order; the newest class first)."""
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise errors.ValidationException("cursor must be the `next` link's cursor.", field="cursor")
    return int(cursor)


def _slice(items, cursor: str, limit: int) -> tuple[list, str | None]:
    start = _offset(cursor)
    chunk = list(items[start:start + limit + 1])
    return chunk[:limit], (str(start + limit) if len(chunk) > limit else None)


# ---- answers -----------------------------------------------------------------------------------------------


def _lab(lab: Lab) -> dict:
    return {"id": lab.id, "title": lab.title, "summary": lab.summary, "minutes": lab.minutes,
            "objectives": list(lab.objectives), "steps": len(lab.steps)}


def _class(classroom: Classroom) -> dict:
    creator = classroom.created_by
    return {"id": str(classroom.pk), "lab_id": classroom.lab_id, "title": classroom.title,
            "seats": classroom.seat_count, "kind": "self-study" if classroom.created_by_principal else "class",
            "created_at": classroom.created_at, "created_by": creator.get_username() if creator else None,
            "created_by_principal": classroom.created_by_principal or None, "open": classroom.is_open,
            "closed_at": classroom.closed_at}


def _step_result(seat: Seat, result: service.StepResult) -> dict:
    current = service.seat_view(seat)["current_step"] if result.passed else result.step_id
    return {"step_id": result.step_id, "passed": result.passed,
            "checks": [check.as_json() for check in result.checks], "next_step": current}


def _seat(seat: Seat) -> dict:
    """The trainee's view of its seat: no password or secret key (those are on the seat card only)."""
    view = service.seat_view(seat)
    lab, values = view["lab"], view["values"]
    flat = flat_values(values)
    steps = []
    for step, shown in zip(lab.steps, view["steps"]):
        question = None
        if shown["question"]:
            question = {"prompt": shown["question"]["prompt"],
                        "answer": shown["question"].get("answer") if shown["passed"] else None}
        steps.append({
            "id": step.id, "title": step.title, "instructions_markdown": fill(step.instructions, flat),
            "instructions_html": shown["instructions_html"], "hints": shown["hints"],
            "hints_total": shown["hints_total"], "question": question, "started_at": shown["started_at"],
            "passed": shown["passed"], "passed_at": shown["passed_at"], "checks_run": shown["checks_run"],
            "last_results": shown["last_results"], "is_current": shown["is_current"], "reached": shown["reached"]})
    logins = [{"name": name, **{part: values["logins"][name][part]
                                for part in ("account", "user", "arn", "access_key_id")}}
              for name in lab.seat.logins]
    return {"class_id": str(seat.classroom_id), "lab_id": lab.id, "title": lab.title, "seat": seat.number,
            "region": values.get("region", lab.region),
            "accounts": {name: values["accounts"][name] for name in lab.seat.accounts}, "logins": logins,
            "keys": {name: {part: key[part] for part in ("id", "arn", "region")}
                     for name, key in values.get("keys", {}).items()},
            "current_step": view["current_step"], "done": view["done"], "steps": steps}


def _seat_row(seat: Seat) -> dict:
    """One seat's row of the dashboard, from the seat alone (not the whole class's board)."""
    view = service.seat_view(seat)
    lab = view["lab"]
    cells = []
    for shown in view["steps"]:
        if shown["passed"]:
            state = "passed"
        elif shown["is_current"]:
            state = "failing" if shown["checks_run"] else "current"
        else:
            state = "waiting"
        seconds = (int((shown["passed_at"] - shown["started_at"]).total_seconds())
                   if shown["passed_at"] and shown["started_at"] else None)
        cells.append({"step_id": shown["id"], "state": state, "passed": shown["passed"],
                      "started_at": shown["started_at"], "passed_at": shown["passed_at"], "seconds": seconds,
                      "hints": len(shown["hints"]), "checks_run": shown["checks_run"]})
    return {"number": seat.number, "accounts": {name: seat.values["accounts"][name] for name in lab.seat.accounts},
            "passed_count": sum(1 for cell in cells if cell["passed"]), "current_step": view["current_step"],
            "cells": cells}


def _card(request, card: dict) -> dict:
    logins = [{**login, "sign_in_url": request.build_absolute_uri(login["sign_in_url"])} for login in card["logins"]]
    return {"number": card["number"], "accounts": card["accounts"], "region": card["region"], "logins": logins}


def _lab_or_404(lab_id: str) -> Lab:
    try:
        return service.get_lab(lab_id)
    except LookupError:
        raise errors.NotFoundException(f"There is no lab {lab_id!r}. The labs are listed at /api/v1/labs.") from None


# ---- any principal: labs and self-study ------------------------------------------------------------------


class LabList(ApiView):
    @extend_schema(operation_id="labs_list", summary="The training labs, in order of difficulty",
                   parameters=LabFilter.parameters(), responses=responses(page_schema(LAB_SCHEMA)))
    def get(self, request):
        query = LabFilter.read(request)
        labs, next_cursor = _slice(service.all_labs(), query["cursor"], query["limit"] or 50)
        return Response(page(request, [_lab(lab) for lab in labs], next_cursor))


class LabDetail(ApiView):
    @extend_schema(operation_id="labs_retrieve", summary="A lab: its steps (titles; the instructions are the "
                   "seat's, at /api/v1/seat)", parameters=[LAB_PARAMETER], responses=responses(LAB_DETAIL_SCHEMA))
    def get(self, request, lab):
        found = _lab_or_404(lab)
        steps = [{"id": step.id, "title": step.title, "checks": len(step.checks), "hints": len(step.hints),
                  "question": step.question is not None} for step in found.steps]
        return Response({**_lab(found), "region": found.region, "accounts": list(found.seat.accounts),
                         "steps": steps})


def _seat_count(members: dict, trainer: bool) -> int | None:
    if "seats" not in members:
        return None
    seats = members["seats"]
    if not trainer:
        raise errors.AccessDeniedException("Only trainers (Django staff signed in to the console) choose the number "
                                           "of seats; leave seats out for a self-study class of one.")
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= service.MAX_SEATS:
        raise errors.ValidationException(f"seats must be a whole number from 1 to {service.MAX_SEATS}.",
                                         field="seats")
    return seats


class LabClasses(ApiView):
    @extend_schema(operation_id="labs_classes_create", summary="Start the lab: a self-study class of one, or "
                   "(trainers) a class of `seats` seats; answers the seat cards once",
                   parameters=[LAB_PARAMETER], request=body(CREATE_BODY),
                   responses=responses(CREATED_SCHEMA, status=201))
    def post(self, request, lab):
        found = _lab_or_404(lab)
        seats = _seat_count(body_members(request), request.user.operator)
        if seats is None:
            arn = request.user.principal.arn
            if Classroom.objects.filter(created_by_principal=arn, closed_at__isnull=True).count() >= \
                    SELF_STUDY_OPEN_LIMIT:
                raise errors.LimitExceededException(f"You already have {SELF_STUDY_OPEN_LIMIT} self-study labs open: "
                                                    "close one on the console's Labs page before you start another.")
            classroom = service.create_class(found.id, 1, created_by_principal=arn)
        else:
            # request.user is the principal; the trainer is the Django user of the same session.
            classroom = service.create_class(found.id, seats, created_by=get_user(request._request))
        cards = [_card(request, card) for card in service.seat_cards(classroom)]
        answer = Response({"class": _class(classroom), "cards": cards}, status=http.HTTP_201_CREATED)
        answer["Cache-Control"] = "no-store"  # passwords and secret keys
        if seats is not None:
            answer["Location"] = request.build_absolute_uri(f"/api/v1/classes/{classroom.pk}")
        return answer


# ---- the trainee ---------------------------------------------------------------------------------------------


def _trainee_seat(request) -> Seat:
    seat = service.seat_for_account(request.user.principal.account_id)
    if seat is None:
        raise errors.NotFoundException("Your account does not belong to a seat of an open class.")
    return seat


def _reached_step(seat: Seat, step_id: str) -> str:
    """The step, when it is one of the seat's lab and the seat has reached it (steps open one after another,
    and a step's `call` checks count from its start)."""
    lab = service.get_lab(seat.classroom.lab_id)
    if step_id not in lab.step_ids:
        raise errors.NotFoundException(f"The lab {lab.id} has no step {step_id!r}.")
    if not seat.progress.filter(step_id=step_id).exists():
        raise errors.ConflictException(f"Step {step_id} is not reached yet: pass the steps before it first.")
    return step_id


class SeatDetail(ApiView):
    @extend_schema(operation_id="seat_retrieve", summary="Your seat (the seat your account belongs to): the steps "
                   "with your values, your progress and hints", responses=responses(SEAT_SCHEMA))
    def get(self, request):
        return Response(_seat(_trainee_seat(request)))


class SeatStepCheck(ApiView):
    @extend_schema(operation_id="seat_steps_check", summary="Check my work: run the step's checks on your seat's "
                   "current state (recorded)", parameters=[STEP_PARAMETER], request=None,
                   responses=responses(STEP_RESULT_SCHEMA))
    def post(self, request, step):
        seat = _trainee_seat(request)
        result = service.check_step(seat, _reached_step(seat, step))
        return Response(_step_result(seat, result))


class SeatStepHint(ApiView):
    @extend_schema(operation_id="seat_steps_hint", summary="Reveal the step's next hint (recorded)",
                   parameters=[STEP_PARAMETER], request=None, responses=responses(HINT_SCHEMA))
    def post(self, request, step):
        seat = _trainee_seat(request)
        hint = service.reveal_hint(seat, _reached_step(seat, step))
        row = seat.progress.get(step_id=step)
        total = len(service.get_lab(seat.classroom.lab_id).step(step).hints)
        return Response({"step_id": step, "hint": hint, "hints_revealed": row.hints_revealed, "hints_total": total})


# ---- the trainer ---------------------------------------------------------------------------------------------


class IsTrainer(BasePermission):
    message = "Classes are for trainers: a Django staff user signed in to the console as well."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and getattr(request.user, "operator", False))


class TrainerView(ApiView):
    permission_classes = [IsTrainer]


def _classroom(class_id) -> Classroom:
    classroom = Classroom.objects.select_related("created_by").filter(pk=class_id).first()
    if classroom is None:
        raise errors.NotFoundException(f"There is no class {class_id}.")
    return classroom


def _open_seat(class_id, number: int) -> Seat:
    seat = Seat.objects.select_related("classroom").filter(classroom_id=class_id, number=number).first()
    if seat is None:
        _classroom(class_id)  # no such class: say that
        raise errors.NotFoundException(f"The class has no seat {number}.")
    if not seat.classroom.is_open:
        raise errors.ConflictException("The class is closed: its seats cannot be changed.")
    return seat


class ClassList(TrainerView):
    @extend_schema(operation_id="classes_list", summary="Every class and self-study lab, newest first (trainers)",
                   parameters=ClassFilter.parameters(), responses=responses(page_schema(CLASS_SCHEMA)))
    def get(self, request):
        query = ClassFilter.read(request)
        classes = Classroom.objects.select_related("created_by").order_by("-created_at", "id")
        if query["lab"]:
            classes = classes.filter(lab_id=query["lab"])
        if query["open"] is not None:
            classes = classes.filter(closed_at__isnull=query["open"])
        chunk, next_cursor = _slice(classes, query["cursor"], query["limit"] or 50)
        return Response(page(request, [_class(classroom) for classroom in chunk], next_cursor))


class ClassDetail(TrainerView):
    @extend_schema(operation_id="classes_retrieve", summary="A class's dashboard: seats × steps with pass/fail, "
                   "time and hints (trainers)", parameters=[CLASS_PARAMETER], responses=responses(DASHBOARD_SCHEMA))
    def get(self, request, class_id):
        classroom = _classroom(class_id)
        board = service.dashboard(classroom)
        seats = [{name: row[name] for name in SEAT_ROW_SCHEMA["properties"]} for row in board["seats"]]
        return Response({"class": _class(classroom), "steps": board["steps"], "seats": seats})


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset) if isinstance(data, str) else b""


class ClassResults(TrainerView):
    renderer_classes = [CsvRenderer]

    @extend_schema(operation_id="classes_results", summary="A class's results as CSV: one row per seat and step "
                   "(trainers)", parameters=[CLASS_PARAMETER],
                   responses={**{code: shape for code, shape in responses(None).items() if code != 200},
                              (200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, class_id):
        classroom = _classroom(class_id)
        answer = Response(service.export_csv(classroom))
        answer["Content-Disposition"] = f'attachment; filename="results-{classroom.lab_id}-{classroom.pk}.csv"'
        return answer


class ClassSeat(TrainerView):
    @extend_schema(operation_id="classes_seats_retrieve", summary="One seat as its trainee sees it, with its last "
                   "check results and explanations (trainers)", parameters=[CLASS_PARAMETER, SEAT_PARAMETER],
                   responses=responses(SEAT_SCHEMA))
    def get(self, request, class_id, number):
        seat = Seat.objects.select_related("classroom").filter(classroom_id=class_id, number=number).first()
        if seat is None:
            raise errors.NotFoundException(f"There is no seat {number} in class {class_id}.")
        return Response(_seat(seat))


class SeatReset(TrainerView):
    @extend_schema(operation_id="classes_seats_reset", summary="Put a seat back at the start: its accounts rebuilt, "
                   "its progress cleared (trainers)", parameters=[CLASS_PARAMETER, SEAT_PARAMETER], request=None,
                   responses=responses(SEAT_ROW_SCHEMA))
    def post(self, request, class_id, number):
        seat = _open_seat(class_id, number)
        service.reset_seat(seat)
        return Response(_seat_row(seat))


class SeatSolve(TrainerView):
    @extend_schema(operation_id="classes_seats_solve", summary="Run a step's solution for a seat, then check it "
                   "(trainers)", parameters=[CLASS_PARAMETER, SEAT_PARAMETER], request=body(SOLVE_BODY),
                   responses=responses(STEP_RESULT_SCHEMA))
    def post(self, request, class_id, number):
        step = body_members(request).get("step")
        if step is not None and not isinstance(step, str):
            raise errors.ValidationException("step must be a step id.", field="step")
        seat = _open_seat(class_id, number)
        lab = service.get_lab(seat.classroom.lab_id)
        if step is not None and step not in lab.step_ids:
            raise errors.NotFoundException(f"The lab {lab.id} has no step {step!r}.")
        try:
            result = service.solve_step(seat, step)
        except LookupError:
            raise errors.ConflictException("Every step of this seat has passed: name the step to solve.") from None
        except SolutionFailed as failure:
            # The seat's state got in the way (the trainee changed something the solution expects): say what.
            raise errors.ConflictException(f"The solution could not run on seat {seat.number}: {failure}") from None
        return Response(_step_result(seat, result))


class ClassClose(TrainerView):
    @extend_schema(operation_id="classes_close", summary="Close a class: its credentials stop working; its accounts "
                   "are deleted on request (trainers)", parameters=[CLASS_PARAMETER], request=body(CLOSE_BODY),
                   responses=responses(CLASS_SCHEMA))
    def post(self, request, class_id):
        delete_accounts = body_members(request).get("delete_accounts", False)
        if not isinstance(delete_accounts, bool):
            raise errors.ValidationException("delete_accounts must be true or false.", field="delete_accounts")
        classroom = _classroom(class_id)
        service.close_class(classroom, delete_accounts=delete_accounts)
        return Response(_class(classroom))
