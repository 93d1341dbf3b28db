"""The console's CloudTrail pages: Event history, one event's record, JSON Lines download, a key's recent activity.

Every page reads the trail through the LookupEvents operation run by awsapi.dispatch.execute as the
signed-in principal (via_console=True): the same IAM check as the API (cloudtrail:LookupEvents), only
the principal's own account and region, and the viewing itself is recorded as a LookupEvents event.
"""

import datetime as dt
import json
import uuid
from urllib.parse import urlencode

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


# The Event history's columns: (id, label, shown by default). The column chooser (static/console.js) keeps
# the viewer's choice in localStorage; hidden columns stay in the HTML, so a reload never loses data.
HISTORY_COLUMNS = [
    ("time", "Event time", True),
    ("name", "Event name", True),
    ("user", "User name", True),
    ("account", "Caller account", True),
    ("source", "Event source", False),
    ("resource-type", "Resource type", False),
    ("resources", "Resource name", True),
    ("error", "Error code", True),
    ("access-key", "AWS access key", False),
    ("source-ip", "Source IP address", False),
    ("read-only", "Read-only", False),
]

# What "use" of a key means on its page: the cryptographic operations (AWS KMS Developer Guide,
# "Cryptographic operations"), not the console's own DescribeKey and GetKeyPolicy.
CRYPTOGRAPHIC_OPERATIONS = (
    "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac",
    "GenerateRandom", "ReEncrypt", "Sign", "Verify", "VerifyMac",
)


def _resource_link(resource: dict, account_id: str, region: str) -> dict:
    """A resource of a record, with its console page when it is a key of the viewer's account and region
    (the key page itself runs DescribeKey as the viewer, so it still refuses what the viewer may not see)."""
    arn = resource.get("ResourceName") or ""
    parts = arn.split(":", 5)
    url = None
    if (resource.get("ResourceType") == "AWS::KMS::Key" and len(parts) == 6 and parts[3] == region
            and parts[4] == account_id and parts[5].startswith("key/")):
        url = reverse("keys:key_detail", args=[parts[5][len("key/"):]])
    return {"type": resource.get("ResourceType") or "", "arn": arn, "short": parts[5] if len(parts) == 6 else arn,
            "url": url}


def _ago(moment: dt.datetime, now: dt.datetime) -> str:
    """How long ago, in the largest whole unit (Django's timesince is ten times slower, per row)."""
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def event_row(summary: dict, account_id: str, region: str = "", now: dt.datetime | None = None) -> dict:
    record = json.loads(summary["CloudTrailEvent"])
    identity = record.get("userIdentity") or {}
    moment = summary["EventTime"].astimezone(dt.timezone.utc)
    return {
        "time_iso": moment.isoformat(),
        "time_text": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "time_ago": _ago(moment, now or dt.datetime.now(dt.timezone.utc)),
        "detail_url": reverse("audit:event_detail", args=[summary["EventId"]]),
        "summary": summary,
        "record": record,
        "caller_account": identity.get("accountId", ""),
        "foreign": identity.get("accountId", account_id) != account_id,
        # The User name column shows LookupEvents' Username, so filtering by what it shows finds the row.
        "who": summary.get("Username") or identity.get("principalId") or identity.get("type", ""),
        "identity_type": identity.get("type", ""),
        "principal_id": identity.get("principalId", ""),
        "error": record.get("errorCode", ""),
        "resources": [_resource_link(r, account_id, region) for r in summary.get("Resources") or []],
    }


@console_login_required
def event_history(request):
    params = history_filters(request.GET)
    params["MaxResults"] = MAX_RESULTS
    params["NextToken"] = request.GET.get("next") or None
    context = {"filters": request.GET, "rows": [], "next_token": None, "error": None, "columns": HISTORY_COLUMNS}
    try:
        result = _lookup(request, params)
    except errors.AwsError as err:
        context["error"] = err
    else:
        context["rows"] = [event_row(s, request.principal.account_id, request.region) for s in result["Events"]]
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
        return render(request, "audit/event_detail.html", {
            "error": err, "error_crumbs": [("Event history", reverse("audit:event_history")), ("Event", None)]},
            status=403)
    if not result["Events"]:
        raise Http404("No such event in this account and region.")
    row = event_row(result["Events"][0], request.principal.account_id, request.region)
    return render(request, "audit/event_detail.html", {
        "row": row, "pretty": json.dumps(row["record"], indent=2, sort_keys=True),
        "crumbs": [("Event history", reverse("audit:event_history")), (row["summary"]["EventName"], None)]})


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
    """A key's recent activity (htmx fragment: audit:recent_activity?key=<key ARN>[&show=all]).

    By default the key's use: its cryptographic operations, other accounts' calls first, so that sharing
    shows even when the administrator's own page views (DescribeKey, GetKeyPolicy) are far more numerous.
    show=all lists every recorded call on the key, newest first. The records themselves are untouched."""
    key_arn = request.GET.get("key", "")
    show_all = request.GET.get("show") == "all"
    query = urlencode({"key": key_arn})
    context = {"key_arn": key_arn, "rows": [], "error": None, "show_all": show_all,
               "use_url": f"{reverse('audit:recent_activity')}?{query}",
               "all_url": f"{reverse('audit:recent_activity')}?{query}&show=all",
               "history_url": f"{reverse('audit:event_history')}?{urlencode({'resource': key_arn})}"}
    if key_arn:
        on_key = {"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": key_arn}]}
        try:
            if show_all:
                summaries = _lookup(request, {**on_key, "MaxResults": RECENT_ACTIVITY_COUNT})["Events"]
            else:
                summaries = _recent_use(request, on_key)
        except errors.AwsError as err:  # denied, or a filter no record can match (issue 11: NUL)
            context["error"] = err
        else:
            context["rows"] = [event_row(s, request.principal.account_id, request.region) for s in summaries]
    return render(request, "audit/recent_activity.html", context)


def _recent_use(request, on_key: dict) -> list[dict]:
    """The key's newest cryptographic operations: other accounts' first, then the account's own."""
    use = {"event_names": CRYPTOGRAPHIC_OPERATIONS}
    foreign = _lookup(request, {**on_key, "MaxResults": RECENT_ACTIVITY_COUNT,
                                "ConsoleFilters": {**use, "callers": "other"}})["Events"]
    room = RECENT_ACTIVITY_COUNT - len(foreign)
    if room <= 0:
        return foreign
    own = _lookup(request, {**on_key, "MaxResults": room, "ConsoleFilters": {**use, "callers": "own"}})["Events"]
    return foreign + own
