"""Every answer of `/` to the API is in the caller's protocol with AWS's status, whatever the input (issue 11 §3)."""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from django.db import OperationalError

from tests.hardening.conftest import (
    FORM_TYPE, SHARED_KEY_ID, TRAIL_TARGET, json_error, kms_request, query_error, records_of,
    signed_request, state_digest,
)
from tests.api.conftest import OWNER_ROOT
from tests.conftest import REGION


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_on_the_endpoint_answer_405_in_the_json_shape(world, live_server, method):
    response = kms_request(live_server.url, "ListKeys", {}, method=method)
    assert json_error(response) == (405, "MethodNotAllowed")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_methods_without_a_target_answer_405_in_the_query_shape(world, live_server, method):
    response = signed_request(live_server.url, "Action=GetCallerIdentity&Version=2011-06-15", service="sts",
                              content_type=FORM_TYPE, method=method)
    assert query_error(response) == (405, "MethodNotAllowed")


def test_a_body_nested_ten_thousand_deep_is_a_serialization_error(world, live_server):
    body = '{"KeyId": ' + "[" * 10_000 + "]" * 10_000 + "}"
    assert json_error(kms_request(live_server.url, "DescribeKey", body)) == (400, "SerializationException")


def test_an_integer_of_five_thousand_digits_is_a_serialization_error(world, live_server):
    body = '{"NumberOfBytes": ' + "9" * 5000 + "}"
    response = kms_request(live_server.url, "GenerateRandom", body)
    assert json_error(response) == (400, "SerializationException")
    # Authenticated, so recorded, as any call whose operation exists.
    [record] = records_of(response.headers["x-amzn-RequestId"])
    assert record["errorCode"] == "SerializationException"


@pytest.mark.parametrize("start", ["1e20", "NaN", "Infinity", "-Infinity", "1e400"])
def test_lookup_events_with_an_impossible_start_time_is_a_serialization_error(world, live_server, start):
    response = signed_request(live_server.url, '{"StartTime": %s}' % start, service="cloudtrail",
                              target=TRAIL_TARGET + "LookupEvents")
    assert json_error(response) == (400, "SerializationException")


def test_a_policy_nested_five_thousand_deep_is_a_malformed_policy(world, live_server):
    before = state_digest()
    policy = '{"Version": "2012-10-17", "Statement": ' + "[" * 5000 + "]" * 5000 + "}"
    response = kms_request(live_server.url, "PutKeyPolicy", {"KeyId": SHARED_KEY_ID, "Policy": policy})
    assert json_error(response) == (400, "MalformedPolicyDocumentException")
    assert state_digest() == before


def test_a_body_over_two_and_a_half_megabytes_answers_413_in_the_json_shape(world, live_server):
    body = json.dumps({"KeyId": SHARED_KEY_ID, "Description": "x" * 3_000_000})
    response = kms_request(live_server.url, "UpdateKeyDescription", body)
    assert json_error(response) == (413, "RequestEntityTooLarge")


def test_boto3_sees_the_oversize_answer_as_a_client_error(world, live_server):
    kms = boto3.client("kms", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=OWNER_ROOT[0],
                       aws_secret_access_key=OWNER_ROOT[1], config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        kms.tag_resource(KeyId=SHARED_KEY_ID, Tags=[{"TagKey": f"k{i}", "TagValue": "v" * 256} for i in range(10_000)])
    assert info.value.response["Error"]["Code"] == "RequestEntityTooLarge"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_a_body_over_the_limit_answers_413_in_the_query_shape(world, live_server):
    body = "Action=GetCallerIdentity&Version=2011-06-15&Padding=" + "x" * 3_000_000
    response = signed_request(live_server.url, body, service="sts", content_type=FORM_TYPE)
    assert query_error(response) == (413, "RequestEntityTooLarge")


def _explode(call):
    raise ZeroDivisionError("a bug")


def test_an_unexpected_error_in_a_kms_operation_is_kms_internal_exception(world, live_server, monkeypatch):
    from awsapi import dispatch

    spec = dispatch.lookup("kms", "ListKeys")
    monkeypatch.setitem(dispatch._REGISTRY, ("kms", "ListKeys"), spec.__class__(**{**spec.__dict__, "fn": _explode}))
    response = kms_request(live_server.url, "ListKeys", {})
    assert json_error(response) == (500, "KMSInternalException")
    [record] = records_of(response.headers["x-amzn-RequestId"])
    assert record["errorCode"] == "KMSInternalException"


def test_an_unexpected_error_in_sts_is_internal_failure(world, live_server, monkeypatch):
    from awsapi import dispatch

    spec = dispatch.lookup("sts", "GetCallerIdentity")
    monkeypatch.setitem(dispatch._REGISTRY, ("sts", "GetCallerIdentity"),
                        spec.__class__(**{**spec.__dict__, "fn": _explode}))
    response = signed_request(live_server.url, "Action=GetCallerIdentity&Version=2011-06-15", service="sts",
                              content_type=FORM_TYPE)
    assert query_error(response) == (500, "InternalFailure")


def test_an_unexpected_error_in_cloudtrail_is_internal_failure(world, live_server, monkeypatch):
    from awsapi import dispatch

    spec = dispatch.lookup("cloudtrail", "LookupEvents")
    monkeypatch.setitem(dispatch._REGISTRY, ("cloudtrail", "LookupEvents"),
                        spec.__class__(**{**spec.__dict__, "fn": _explode}))
    response = signed_request(live_server.url, "{}", service="cloudtrail", target=TRAIL_TARGET + "LookupEvents")
    assert json_error(response) == (500, "InternalFailure")


def test_an_error_outside_any_operation_is_still_in_the_protocols_shape(world, live_server, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("bug in authentication")

    monkeypatch.setattr("awsapi.endpoint.authenticate", broken)
    monkeypatch.setattr("awsapi.query_protocol.authenticate", broken)
    assert json_error(kms_request(live_server.url, "ListKeys", {})) == (500, "KMSInternalException")
    response = signed_request(live_server.url, "Action=GetCallerIdentity&Version=2011-06-15", service="sts",
                              content_type=FORM_TYPE)
    assert query_error(response) == (500, "InternalFailure")


def test_a_database_outage_answers_a_5xx_botocore_retries(world, live_server, monkeypatch):
    import accounts.authn

    real = accounts.authn.authenticate
    failures = []

    def unavailable_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr("awsapi.endpoint.authenticate", unavailable_once)
    response = kms_request(live_server.url, "ListKeys", {})
    assert json_error(response) == (500, "KMSInternalException")
    failures.clear()
    kms = boto3.client("kms", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=OWNER_ROOT[0],
                       aws_secret_access_key=OWNER_ROOT[1], config=Config(retries={"total_max_attempts": 3,
                                                                                    "mode": "standard"}))
    answer = kms.list_keys()  # the first attempt meets the outage, the retry succeeds
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1


def test_a_database_outage_on_sts_is_service_unavailable(world, live_server, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("awsapi.query_protocol.authenticate", unavailable)
    response = signed_request(live_server.url, "Action=GetCallerIdentity&Version=2011-06-15", service="sts",
                              content_type=FORM_TYPE)
    assert query_error(response) == (503, "ServiceUnavailable")


def test_an_unknown_target_prefix_still_answers_json(world, live_server):
    response = signed_request(live_server.url, "{}", target="Nobody_20200101.DoIt")
    assert json_error(response) == (400, "UnknownOperationException")
