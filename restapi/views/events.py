"""CloudTrail event history: LookupEvents as the caller (its account and region), with LookupEvents' filters
as query parameters and its NextToken as the cursor."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from audit.lookup import ATTRIBUTE_COLUMNS, MAX_RESULTS
from audit.models import AuditEvent
from restapi import wire
from restapi.base import ApiView, OperationFilterSet, limit_filter, page, page_schema, responses, run

# Query parameter -> LookupEvents' AttributeKey. LookupEvents takes one attribute per request, as on AWS.
ATTRIBUTES = {
    "event_id": "EventId", "event_name": "EventName", "read_only": "ReadOnly", "username": "Username",
    "resource_type": "ResourceType", "resource_name": "ResourceName", "event_source": "EventSource",
    "access_key_id": "AccessKeyId",
}
assert set(ATTRIBUTES.values()) == set(ATTRIBUTE_COLUMNS)


class EventFilter(OperationFilterSet):
    limit = limit_filter(MAX_RESULTS, MAX_RESULTS)
    start_time = filters.IsoDateTimeFilter(help_text="Only events at or after this time (ISO 8601).")
    end_time = filters.IsoDateTimeFilter(help_text="Only events at or before this time (ISO 8601).")
    event_id = filters.CharFilter(help_text="LookupEvents attribute EventId. At most one attribute per request.")
    event_name = filters.CharFilter(help_text="Attribute EventName, e.g. Decrypt.")
    read_only = filters.ChoiceFilter(choices=[("true", "true"), ("false", "false")], help_text="Attribute ReadOnly.")
    username = filters.CharFilter(help_text="Attribute Username.")
    resource_type = filters.CharFilter(help_text="Attribute ResourceType, e.g. AWS::KMS::Key.")
    resource_name = filters.CharFilter(help_text="Attribute ResourceName, e.g. a key ARN.")
    event_source = filters.CharFilter(help_text="Attribute EventSource, e.g. kms.amazonaws.com.")
    access_key_id = filters.CharFilter(help_text="Attribute AccessKeyId.")

    class Meta:
        model = AuditEvent
        fields = []


class EventList(ApiView):
    @extend_schema(operation_id="events_list", summary="Event history of the caller's account and region, newest "
                   "first (LookupEvents)", parameters=EventFilter.parameters(),
                   responses=responses(page_schema(wire.schema("cloudtrail", "Event"))))
    def get(self, request):
        query = EventFilter.read(request)
        attributes = [{"AttributeKey": key, "AttributeValue": query[name]}
                      for name, key in ATTRIBUTES.items() if query.get(name)]
        result, _ = run(request, "cloudtrail", "LookupEvents", LookupAttributes=attributes or None,
                        StartTime=query["start_time"], EndTime=query["end_time"], MaxResults=query["limit"],
                        NextToken=query["cursor"] or None)
        events = wire.encode_output("cloudtrail", "LookupEvents", result).get("Events", [])
        return Response(page(request, events, result.get("NextToken")))
