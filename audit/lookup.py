"""CloudTrail LookupEvents (reference kms.md §8.3): the caller's own account, the call's region, newest first.

`find_events` is the query (also used by the console's event history and the benchmark); the
operation adds authorisation (cloudtrail:LookupEvents, IAM alone), CloudTrail's own input errors and
the response shape. Records are visible as soon as the call that wrote them has returned.

NextToken is keyset pagination: the (eventTime, eventID) of the last event returned plus a digest of
the query, signed with Django's signing key, so a token cannot be forged, edited or reused with
other filters.
"""

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from django.core import signing
from django.db.models import F, Q

from accounts.authz import authorize_identity_action
from audit.models import AuditEvent
from awsapi import errors
from awsapi.dispatch import operation

MAX_RESULTS = 50
ATTRIBUTE_COLUMNS = {
    "EventId": "event_id",
    "EventName": "event_name",
    "ReadOnly": "read_only",
    "Username": "username",
    "ResourceType": "resource_type",
    "ResourceName": "resource_arn",
    "EventSource": "event_source",
    "AccessKeyId": "access_key_id",
}
_TOKEN_SALT = "audit.lookup.next-token"


@dataclass
class EventQuery:
    account_id: str
    region: str
    # (AttributeKey, AttributeValue) pairs. LookupEvents allows one; the console may combine several.
    attributes: list[tuple[str, str]] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    errors_only: bool = False
    # Console only: any of these event names; "other" (another account's calls) or "own" callers.
    event_names: tuple[str, ...] = ()
    callers: str = ""
    max_results: int = MAX_RESULTS

    def digest(self) -> str:
        parts = [self.account_id, self.region, repr(sorted(self.attributes)),
                 self.start.isoformat() if self.start else "", self.end.isoformat() if self.end else "",
                 str(self.errors_only), repr(sorted(self.event_names)), self.callers]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _attribute_filter(key: str, value: str) -> Q:
    column = ATTRIBUTE_COLUMNS[key]
    if key == "EventId":
        try:
            return Q(event_id=uuid.UUID(value))
        except ValueError:
            return Q(pk__in=[])  # no event has such an id
    if key == "ReadOnly":
        return Q(read_only=value == "true")
    return Q(**{column: value})


def event_queryset(query: EventQuery):
    rows = AuditEvent.objects.filter(recipient_account=query.account_id, region=query.region)
    for key, value in query.attributes:
        rows = rows.filter(_attribute_filter(key, value))
    if query.start:
        rows = rows.filter(event_time__gte=query.start)
    if query.end:
        rows = rows.filter(event_time__lte=query.end)
    if query.errors_only:
        rows = rows.exclude(error_code="")
    if query.event_names:
        rows = rows.filter(event_name__in=query.event_names)
    if query.callers == "other":
        rows = rows.exclude(caller_account=F("recipient_account"))
    elif query.callers == "own":
        rows = rows.filter(caller_account=F("recipient_account"))
    return rows.order_by("-event_time", "-event_id")


def make_next_token(query: EventQuery, last: AuditEvent) -> str:
    return signing.dumps(
        {"t": last.event_time.isoformat(), "id": str(last.event_id), "q": query.digest()},
        salt=_TOKEN_SALT, compress=True,
    )


def _read_next_token(query: EventQuery, token: str) -> tuple[dt.datetime, uuid.UUID]:
    invalid = errors.InvalidNextTokenException("Invalid NextToken.")
    try:
        data = signing.loads(token, salt=_TOKEN_SALT)
        if data["q"] != query.digest():
            raise invalid
        return dt.datetime.fromisoformat(data["t"]), uuid.UUID(data["id"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise invalid from None


def find_events(query: EventQuery, next_token: str | None = None) -> tuple[list[AuditEvent], str | None]:
    """One page of events, newest first, and the token of the next page (None on the last page)."""
    rows = event_queryset(query)
    if next_token:
        after_time, after_id = _read_next_token(query, next_token)
        # Keyset: strictly older than the last event shown (ties broken by event id, as the ordering is).
        rows = rows.filter(event_time__lte=after_time).filter(
            Q(event_time__lt=after_time) | Q(event_time=after_time, event_id__lt=after_id)
        )
    page = list(rows[: query.max_results + 1])
    if len(page) > query.max_results:
        page = page[: query.max_results]
        return page, make_next_token(query, page[-1])
    return page, None


# --------------------------------------------------------------------------------------------------
# The operation
# --------------------------------------------------------------------------------------------------


def _check_attributes(attributes) -> list[tuple[str, str]]:
    attributes = attributes or []
    if len(attributes) > 1:
        raise errors.InvalidLookupAttributesException("You can specify at most one lookup attribute.")
    checked = []
    for attribute in attributes:
        key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
        if key not in ATTRIBUTE_COLUMNS:
            raise errors.InvalidLookupAttributesException(
                f"The lookup attribute key {key!r} is not valid. Valid keys: {', '.join(ATTRIBUTE_COLUMNS)}."
            )
        if not isinstance(value, str) or not 1 <= len(value) <= 2000:
            raise errors.InvalidLookupAttributesException(
                "The lookup attribute value must be between 1 and 2000 characters."
            )
        if key == "ReadOnly" and value not in ("true", "false"):
            raise errors.InvalidLookupAttributesException("The ReadOnly attribute value must be true or false.")
        checked.append((key, value))
    return checked


def _check_query(call) -> EventQuery:
    params = call.params
    category = params.get("EventCategory")
    if category is not None and category != "insight":
        raise errors.InvalidEventCategoryException(f"The event category {category!r} is not valid.")
    attributes = _check_attributes(params.get("LookupAttributes"))
    max_results = params.get("MaxResults", MAX_RESULTS)
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
        raise errors.InvalidMaxResultsException(f"MaxResults must be between 1 and {MAX_RESULTS}.")
    start, end = params.get("StartTime"), params.get("EndTime")
    if start and end and start > end:
        raise errors.InvalidTimeRangeException("The start time must not be after the end time.")
    query = EventQuery(call.principal.account_id, call.region, attributes, start, end, max_results=max_results)
    # The console's event history combines filters LookupEvents cannot express (several attributes,
    # errors only). Only a console call may ask for them; the API sees LookupEvents as AWS defines it.
    extra = params.get("ConsoleFilters") if call.via_console else None
    if extra:
        query.attributes += [(k, v) for k, v in extra.get("attributes", []) if k in ATTRIBUTE_COLUMNS and v]
        query.errors_only = bool(extra.get("errors_only"))
        query.event_names = tuple(name for name in extra.get("event_names", ()) if isinstance(name, str))
        query.callers = extra.get("callers") if extra.get("callers") in ("other", "own") else ""
    return query


def event_summary(row: AuditEvent) -> dict:
    record = row.record
    return {
        "EventId": str(row.event_id),
        "EventName": row.event_name,
        "ReadOnly": "true" if row.read_only else "false",
        "AccessKeyId": row.access_key_id or None,
        "EventTime": row.event_time,
        "EventSource": row.event_source,
        "Username": row.username or None,
        "Resources": [
            {"ResourceType": r.get("type"), "ResourceName": r.get("ARN")} for r in record.get("resources") or []
        ],
        "CloudTrailEvent": json.dumps(record, separators=(",", ":")),
    }


@operation("cloudtrail", "LookupEvents", read_only=True, validate=False)
def lookup_events(call):
    authorize_identity_action(call, "cloudtrail:LookupEvents")
    query = _check_query(call)
    if call.params.get("EventCategory") == "insight":
        return {"Events": []}  # No trail here has CloudTrail Insights enabled: there are no insight events.
    page, next_token = find_events(query, call.params.get("NextToken"))
    return {"Events": [event_summary(row) for row in page], "NextToken": next_token}
