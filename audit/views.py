"""The console's CloudTrail pages: Event history, one event's record, JSON Lines download, a key's recent activity.

Every page reads the trail through the LookupEvents operation run by awsapi.dispatch.execute as the
signed-in principal (via_console=True): the same IAM check as the API (cloudtrail:LookupEvents), only
the principal's own account and region, and the viewing itself is recorded as a LookupEvents event.
"""

import datetime as dt
import json
import uuid

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.console_session import console_login_required
from audit.lookup import MAX_RESULTS
from awsapi import errors
from awsapi.dispatch import Call, execute

RECENT_ACTIVITY_COUNT = 10


def _lookup(request, params: dict) -> dict:
    call = Call(
        principal=request.principal,
        region=request.region,
        service="cloudtrail",
        operation="LookupEvents",
        params={name: value for name, value in params.items() if value not in (None, "", [])},
        request_id=getattr(request, "request_id", "") or str(uuid.uuid4()),
        source_ip=request.META.get("REMOTE_ADDR") or "127.0.0.1",
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1024],
        via_console=True,
    )
    return execute(call)


def _parse_time(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def history_filters(query) -> dict:
    """The page's filters (GET parameters) as LookupEvents parameters plus the console's own filters."""
    attributes = [(key, query.get(field, "").strip()) for field, key in
                  (("event_name", "EventName"), ("user", "Username"), ("resource", "ResourceName"))]
    attributes = [(key, value) for key, value in attributes if value]
    return {
        "StartTime": _parse_time(query.get("start", "")),
        "EndTime": _parse_time(query.get("end", "")),
        "ConsoleFilters": {"attributes": attributes, "errors_only": query.get("errors") == "1"},
    }


def event_row(summary: dict, account_id: str) -> dict:
    record = json.loads(summary["CloudTrailEvent"])
    identity = record.get("userIdentity") or {}
    return {
        "summary": summary,
        "record": record,
        "caller_account": identity.get("accountId", ""),
        "foreign": identity.get("accountId", account_id) != account_id,
        "who": summary.get("Username") or identity.get("principalId") or identity.get("type", ""),
        "error": record.get("errorCode", ""),
    }


@console_login_required
def event_history(request):
    params = history_filters(request.GET)
    params["MaxResults"] = MAX_RESULTS
    params["NextToken"] = request.GET.get("next") or None
    context = {"filters": request.GET, "rows": [], "next_token": None, "error": None}
    try:
        result = _lookup(request, params)
    except errors.AwsError as err:
        context["error"] = err
    else:
        context["rows"] = [event_row(s, request.principal.account_id) for s in result["Events"]]
        context["next_token"] = result.get("NextToken")
        query = request.GET.copy()
        query.pop("next", None)
        context["filter_query"] = query.urlencode()
    template = "audit/event_history.html#results" if getattr(request, "htmx", False) else "audit/event_history.html"
    return render(request, template, context, status=403 if isinstance(context["error"], errors.AccessDeniedException) else 200)


@console_login_required
def event_detail(request, event_id):
    try:
        result = _lookup(request, {"LookupAttributes": [{"AttributeKey": "EventId", "AttributeValue": str(event_id)}]})
    except errors.AccessDeniedException as err:
        return render(request, "audit/event_detail.html", {"error": err}, status=403)
    if not result["Events"]:
        raise Http404("No such event in this account and region.")
    row = event_row(result["Events"][0], request.principal.account_id)
    return render(request, "audit/event_detail.html", {
        "row": row, "pretty": json.dumps(row["record"], indent=2, sort_keys=True)})


@console_login_required
def download_events(request):
    """The filtered history as JSON Lines, one record per line, streamed page by page."""
    params = history_filters(request.GET)
    params["MaxResults"] = MAX_RESULTS
    try:
        first = _lookup(request, params)  # authorised (and refused) before the response starts
    except errors.AwsError as err:
        status = 403 if isinstance(err, errors.AccessDeniedException) else 400
        return render(request, "audit/event_history.html", {"error": err, "filters": request.GET}, status=status)

    def lines():
        page = first
        while True:
            for summary in page["Events"]:
                yield summary["CloudTrailEvent"] + "\n"
            if not page.get("NextToken"):
                return
            page = _lookup(request, {**params, "NextToken": page["NextToken"]})

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = (
        f'attachment; filename="events-{request.principal.account_id}-{request.region}.jsonl"')
    return response


@console_login_required
def recent_activity(request):
    """HTML fragment for a key's page (htmx: hx-get="{% url 'audit:recent_activity' %}?key=<key ARN>")."""
    key_arn = request.GET.get("key", "")
    context = {"key_arn": key_arn, "rows": [], "error": None,
               "history_url": f"{reverse('audit:event_history')}?resource={key_arn}"}
    if key_arn:
        try:
            result = _lookup(request, {
                "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": key_arn}],
                "MaxResults": RECENT_ACTIVITY_COUNT,
            })
        except errors.AwsError as err:  # denied, or a filter no record can match (issue 11: NUL)
            context["error"] = err
        else:
            context["rows"] = [event_row(s, request.principal.account_id) for s in result["Events"]]
    return render(request, "audit/recent_activity.html", context)
