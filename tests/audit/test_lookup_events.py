"""CloudTrail LookupEvents over boto3: filters, time range, pagination, bad input, authorisation."""

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from tests.audit.conftest import BOB_KEY, CAROL_KEY, lookup_all
from tests.conftest import REGION


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def bob_trail(trail, aws):
    return aws("cloudtrail", BOB_KEY)


def test_a_call_is_visible_to_lookup_events_as_soon_as_it_returns(bob_trail):
    bob_trail.lookup_events()
    events = bob_trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "LookupEvents"}])
    assert len(events["Events"]) == 1
    event = events["Events"][0]
    assert event["EventSource"] == "cloudtrail.amazonaws.com"
    assert event["ReadOnly"] == "true"
    assert event["Username"] == "Bob"
    assert event["AccessKeyId"] == BOB_KEY[0]
    assert event["Resources"] == []
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventID"] == event["EventId"]
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["userName"] == "Bob"
    assert record["recipientAccountId"] == "444455556666"
    assert record["awsRegion"] == REGION
    assert "sharedEventID" not in record


def test_each_attribute_filter_finds_only_its_events(bob_trail, aws):
    with pytest.raises(ClientError):
        aws("cloudtrail", CAROL_KEY).lookup_events()
    bob_trail.lookup_events(MaxResults=5)
    everything = lookup_all(bob_trail)
    bob_event = next(e for e in everything if e.get("Username") == "Bob")

    def find(key, value):
        return lookup_all(bob_trail, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])

    assert [e["EventId"] for e in find("EventId", bob_event["EventId"])] == [bob_event["EventId"]]
    assert {e["Username"] for e in find("Username", "Carol")} == {"Carol"}
    assert {e["AccessKeyId"] for e in find("AccessKeyId", CAROL_KEY[0])} == {CAROL_KEY[0]}
    assert {e["EventName"] for e in find("EventName", "LookupEvents")} == {"LookupEvents"}
    assert {e["EventSource"] for e in find("EventSource", "cloudtrail.amazonaws.com")} == {"cloudtrail.amazonaws.com"}
    assert {e["EventId"] for e in everything} <= {e["EventId"] for e in find("ReadOnly", "true")}
    assert find("ReadOnly", "false") == []
    assert find("EventSource", "kms.amazonaws.com") == []
    assert find("ResourceType", "AWS::KMS::Key") == []
    assert find("ResourceName", "arn:aws:kms:us-west-2:444455556666:key/none") == []
    assert find("EventId", "not-an-event-id") == []


def test_carol_without_cloudtrail_permission_is_denied_and_her_denial_is_explained(bob_trail, aws):
    with pytest.raises(ClientError) as excinfo:
        aws("cloudtrail", CAROL_KEY).lookup_events()
    assert error_code(excinfo) == "AccessDeniedException"
    message = excinfo.value.response["Error"]["Message"]
    assert "cloudtrail:LookupEvents" in message

    [event] = bob_trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "Carol"}])["Events"]
    record = json.loads(event["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] == message
    assert record["responseElements"] is None
    assert record["additionalEventData"]["policyEvaluation"]["explanation"]


def test_lookup_events_sees_only_the_callers_account_and_region(bob_trail, aws, key_admin):
    bob_trail.lookup_events()
    owner_events = lookup_all(aws("cloudtrail", key_admin))
    assert all(json.loads(e["CloudTrailEvent"])["recipientAccountId"] == "111122223333" for e in owner_events)
    assert not any(e.get("Username") == "Bob" for e in owner_events)
    assert lookup_all(aws("cloudtrail", BOB_KEY, region="eu-west-1")) == []


def test_pages_follow_next_token_newest_first_without_gaps(bob_trail):
    for _ in range(9):
        bob_trail.lookup_events(MaxResults=1)
    # An end time keeps the listing still while every page read adds a newer event.
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=1)
    everything = bob_trail.lookup_events(EndTime=end)["Events"]
    assert len(everything) == 9
    times = [e["EventTime"] for e in everything]
    assert times == sorted(times, reverse=True)

    pages, token = [], None
    while True:
        page = bob_trail.lookup_events(EndTime=end, MaxResults=4, **({"NextToken": token} if token else {}))
        pages.append(len(page["Events"]))
        token = page.get("NextToken")
        everything_paged = everything_paged + page["Events"] if pages[1:] else page["Events"]
        if not token:
            break
    assert pages == [4, 4, 1]
    assert [e["EventId"] for e in everything_paged] == [e["EventId"] for e in everything]


def test_a_tampered_or_reused_next_token_is_refused(bob_trail):
    for _ in range(3):
        bob_trail.lookup_events()
    token = bob_trail.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        bob_trail.lookup_events(MaxResults=1, NextToken=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert error_code(excinfo) == "InvalidNextTokenException"
    with pytest.raises(ClientError) as excinfo:
        bob_trail.lookup_events(
            MaxResults=1, NextToken=token,
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "LookupEvents"}])
    assert error_code(excinfo) == "InvalidNextTokenException"
    assert len(bob_trail.lookup_events(MaxResults=1, NextToken=token)["Events"]) == 1


def test_time_range_selects_events_and_a_reversed_range_is_refused(bob_trail):
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    bob_trail.lookup_events()
    after = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    assert len(bob_trail.lookup_events(StartTime=before, EndTime=after)["Events"]) == 1
    assert bob_trail.lookup_events(StartTime=after)["Events"] == []
    assert bob_trail.lookup_events(EndTime=before)["Events"] == []
    with pytest.raises(ClientError) as excinfo:
        bob_trail.lookup_events(StartTime=after, EndTime=before)
    assert error_code(excinfo) == "InvalidTimeRangeException"


@pytest.mark.parametrize("kwargs, code", [
    ({"MaxResults": 51}, "InvalidMaxResultsException"),
    ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Encrypt"},
                           {"AttributeKey": "Username", "AttributeValue": "Bob"}]}, "InvalidLookupAttributesException"),
    ({"LookupAttributes": [{"AttributeKey": "Colour", "AttributeValue": "blue"}]}, "InvalidLookupAttributesException"),
    ({"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "maybe"}]}, "InvalidLookupAttributesException"),
    ({"EventCategory": "management"}, "InvalidEventCategoryException"),
])
def test_bad_input_gets_cloudtrails_own_errors(bob_trail, kwargs, code):
    with pytest.raises(ClientError) as excinfo:
        bob_trail.lookup_events(**kwargs)
    assert error_code(excinfo) == code


def test_insight_events_are_a_valid_category_with_none_recorded(bob_trail):
    bob_trail.lookup_events()
    assert bob_trail.lookup_events(EventCategory="insight")["Events"] == []
