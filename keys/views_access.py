"""The key page's "Who can use" tab with its CSV download, and "Denial to fix": the smallest policy change that
would allow a denied request, applied as the signed-in principal when it may make it.

Reading the grid or a fix reveals the key policy, so the account view first asks KMS for GetKeyPolicy as the
signed-in principal (authorised by the engine and recorded like any call). Operators (Django staff) see every
account's principals and policies, in views marked "Operator view".
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from awsapi.errors import AwsError
from keys.denial_fix import BadQuestion, Question, Reader, apply_change, compute_fix, parse_question
from keys.views import _KeyPageUnavailable, _load_page, console_page, kms
from keys.who_can_use import ALLOWED, KEY_SIDE_ALLOWS, who_can_use
from policies.fix import Fix

PAGE_ROWS = 100


def is_operator(request) -> bool:
    """Django staff (operators, trainers) see every account, unless they ask for the account view."""
    return bool(request.user.is_staff) and request.GET.get("as") != "account"


def _may_read_key_policy(request, page) -> str | None:
    """None when the signed-in principal may read the key policy (GetKeyPolicy as it), else the AWS message."""
    try:
        kms(request, "GetKeyPolicy", KeyId=page.key_id, PolicyName="default")
    except AwsError as error:
        return error.message or error.code
    return None


def _grid(request, page):
    """(grid, error): operators always get the whole truth; others only for a key whose policy they may read."""
    operator = is_operator(request)
    if not operator:
        if not page.own_key:
            return None, "Only principals of the key's account can see who can use it."
        problem = _may_read_key_policy(request, page)
        if problem:
            return None, problem
    source_ip = request.META.get("REMOTE_ADDR") or "127.0.0.1"
    return who_can_use(page.key_row(), operator=operator, source_ip=source_ip), None


def who_can_use_tab(request, page, **_) -> dict:
    grid, error = _grid(request, page)
    context = {"grid": grid, "grid_error": error, "is_operator": bool(request.user.is_staff),
               "ALLOWED": ALLOWED, "KEY_SIDE_ALLOWS": KEY_SIDE_ALLOWS}
    if grid is not None:
        # A page of rows at a time; the CSV download has every principal.
        pages = max(1, -(-len(grid.rows) // PAGE_ROWS))
        number = request.GET.get("page", "1")
        number = min(int(number), pages) if number.isdigit() and int(number) > 0 else 1
        shown = grid.rows[(number - 1) * PAGE_ROWS:number * PAGE_ROWS]
        context["grid_rows"] = [(row, _row_summary(row), _row_reasons(row)) for row in shown]
        context["page_number"], context["page_count"] = number, pages
        context["first_row"] = (number - 1) * PAGE_ROWS + 1 if shown else 0
        context["last_row"] = (number - 1) * PAGE_ROWS + len(shown)
        context["view_query"] = "&as=account" if grid.view == "account" and request.user.is_staff else ""
    return context


def _row_summary(row) -> str:
    allowed = sum(1 for c in row.cells if c.verdict == ALLOWED)
    partly = sum(1 for c in row.cells if c.verdict == KEY_SIDE_ALLOWS)
    if partly:
        return f"{partly} of {len(row.cells)} by the key policy; IAM decides"
    return f"{allowed} of {len(row.cells)}"


def _row_reasons(row) -> list[dict]:
    """The cells' reasons once each, with the actions they apply to: a row reads as one sentence per path."""
    groups: dict[tuple, dict] = {}
    for cell in row.cells:
        key = (cell.verdict, tuple(cell.path), cell.missing)
        group = groups.setdefault(key, {"verdict": cell.verdict, "path": " + ".join(cell.path),
                                        "missing": cell.missing, "actions": []})
        group["actions"].append(cell.action.split(":", 1)[1])
    order = {ALLOWED: 0, KEY_SIDE_ALLOWS: 1}
    return sorted(groups.values(), key=lambda g: order.get(g["verdict"], 2))


@console_page
@require_http_methods(["GET"])
def who_can_use_csv(request, key_id: str):
    try:
        page = _load_page(request, key_id)
    except _KeyPageUnavailable as unavailable:
        status = 404 if unavailable.error.code == "NotFoundException" else 403
        return HttpResponse(unavailable.error.message, status=status, content_type="text/plain")
    grid, error = _grid(request, page)
    if grid is None:
        return HttpResponse(error, status=403, content_type="text/plain")
    response = HttpResponse(grid.to_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="who-can-use-{page.metadata["KeyId"]}-{grid.view}.csv"'
    return response


# ----------------------------------------------------------------------------------------------------------
# Denial to fix
# ----------------------------------------------------------------------------------------------------------


def _reader(request) -> Reader:
    return Reader(principal=request.principal, operator=is_operator(request), request_id=request.request_id,
                  source_ip=request.META.get("REMOTE_ADDR") or "127.0.0.1",
                  user_agent=request.META.get("HTTP_USER_AGENT", "")[:1024])


def _question_and_fix(request, data) -> tuple[dict, Question | None, Fix | None, dict]:
    values = {name: data.get(name, "") for name in ("principal", "action", "key")}
    errors: dict[str, str] = {}
    question = fix = None
    if any(values.values()):
        try:
            question = parse_question(values["principal"], values["action"], values["key"])
            fix = compute_fix(_reader(request), question)
        except BadQuestion as bad:
            errors[bad.field] = str(bad)
    return values, question, fix, errors


@console_page
@require_http_methods(["GET"])
def fix_denial(request):
    """The smallest change that would allow a denied request (from Event history or the Access tab)."""
    values, question, fix, errors = _question_and_fix(request, request.GET)
    return render(request, "keys/fix.html", {"values": values, "question": question, "fix": fix, "errors": errors,
                                              "operator": is_operator(request)})


@console_page
@require_POST
def apply_fix(request):
    """Apply one proposed change as the signed-in principal. The change is computed again here from the
    question, never taken from the form, so only what the page proposed can be applied."""
    values, question, fix, errors = _question_and_fix(request, request.POST)
    applied = after = None
    if fix is not None:
        index = request.POST.get("change", "")
        change = fix.changes[int(index)] if index.isdigit() and int(index) < len(fix.changes) else None
        if change is None or not change.may_apply:
            errors["apply"] = "That change is not one you may apply; copy the snippet for its administrator."
        else:
            try:
                apply_change(_reader(request), change, question.key_arn.split(":")[3])
                applied = change
                after = compute_fix(_reader(request), question)
            except AwsError as error:
                errors["apply"] = error.message or error.code
    status = 200 if request.htmx or not errors else 400
    return render(request, "keys/fix.html", {"values": values, "question": question, "fix": after or fix,
                                              "errors": errors, "applied": applied,
                                              "operator": is_operator(request)}, status=status)


@console_page
@require_http_methods(["GET"])
def fix_event(request, event_id: str):
    """From a denied CloudTrail record: read it with LookupEvents as the signed-in principal (so only a record
    this principal may see), then ask for its fix."""
    try:
        found = _reader(request).run("cloudtrail", "LookupEvents", request.region, LookupAttributes=[
            {"AttributeKey": "EventId", "AttributeValue": event_id}], MaxResults=1)
    except AwsError as error:
        return render(request, "keys/fix.html", {"values": {}, "errors": {"event": error.message or error.code}},
                      status=403)
    if not found.get("Events"):
        raise Http404("No such event in this account and Region.")
    record = json.loads(found["Events"][0]["CloudTrailEvent"])
    question = denied_question(record)
    if question is None:
        return render(request, "keys/fix.html", {"values": {}, "errors": {
            "event": "This record is not a denied KMS request on a key, so there is nothing to fix."}}, status=400)
    return redirect(f"{reverse('keys:fix_denial')}?{urlencode(question)}")


def denied_question(record: dict) -> dict | None:
    """(principal, action, key) of a denied KMS record, or None. Sessions are named by their session ARN."""
    if record.get("eventSource") != "kms.amazonaws.com" or "AccessDenied" not in (record.get("errorCode") or ""):
        return None
    identity = record.get("userIdentity") or {}
    principal = identity.get("arn") or ""
    key = next((r.get("ARN") for r in record.get("resources") or [] if r.get("type") == "AWS::KMS::Key"), None)
    key = key or (record.get("requestParameters") or {}).get("keyId", "")
    if not principal or not key or not key.startswith("arn:aws:kms:"):
        return None
    return {"principal": principal, "action": f"kms:{record.get('eventName')}", "key": key}
