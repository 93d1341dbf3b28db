"""SigV4 as strict as AWS (issue 11 §4): no session token with a long-term key; the headers that choose the
operation must be signed, so a captured signature cannot be replayed as another operation."""

import boto3
import pytest
from botocore.config import Config

from tests.api.conftest import OWNER_ROOT, error_of
from tests.conftest import REGION
from tests.hardening.conftest import FORM_TYPE, KMS_TARGET, json_error, query_error, records_of, signed_request

INVALID_TOKEN = "The security token included in the request is invalid."


def _client(live_server, service, **kwargs):
    return boto3.client(service, endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=OWNER_ROOT[0],
                        aws_secret_access_key=OWNER_ROOT[1], config=Config(retries={"total_max_attempts": 1}),
                        **kwargs)


def test_a_long_term_key_with_a_session_token_is_unrecognized(world, live_server):
    kms = _client(live_server, "kms", aws_session_token="FwoGZXIvYXdzEInventedToken")
    assert error_of(kms.list_keys) == ("UnrecognizedClientException", INVALID_TOKEN)


def test_a_long_term_key_with_a_session_token_is_invalid_client_token_id_for_sts(world, live_server):
    sts = _client(live_server, "sts", aws_session_token="FwoGZXIvYXdzEInventedToken")
    code, message = error_of(sts.get_caller_identity)
    assert (code, message) == ("InvalidClientTokenId", INVALID_TOKEN)


def test_botocore_signs_the_target_and_the_content_type(world, live_server):
    kms = _client(live_server, "kms")
    seen = {}
    kms.meta.events.register("before-send", lambda request, **_: seen.update(request.headers))
    kms.list_keys()
    signed = seen["Authorization"].decode().split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"content-type", "x-amz-target", "host", "x-amz-date"} <= set(signed)


@pytest.mark.parametrize("unsigned, spelling", [("x-amz-target", "X-Amz-Target"), ("content-type", "Content-Type")])
def test_an_unsigned_target_or_content_type_is_an_incomplete_signature(world, live_server, unsigned, spelling):
    signed = [h for h in ("host", "x-amz-date", "x-amz-target", "content-type") if h != unsigned]
    response = signed_request(live_server.url, "{}", target=KMS_TARGET + "ListKeys", signed_headers=signed)
    assert json_error(response) == (400, "IncompleteSignatureException")
    assert response.json()["message"] == f"'{spelling}' must be a 'SignedHeader' in the AWS Authorization."
    assert records_of(response.headers["x-amzn-RequestId"]) == []  # not authenticated: not recorded


def test_a_signature_over_host_and_date_only_cannot_be_replayed_as_another_operation(world, live_server):
    response = signed_request(live_server.url, "{}", target=KMS_TARGET + "ScheduleKeyDeletion",
                              signed_headers=["host", "x-amz-date"])
    assert json_error(response)[1] == "IncompleteSignatureException"


def test_an_unsigned_content_type_on_the_query_protocol_is_refused(world, live_server):
    response = signed_request(live_server.url, "Action=GetCallerIdentity&Version=2011-06-15", service="sts",
                              content_type=FORM_TYPE, signed_headers=["host", "x-amz-date"])
    assert query_error(response) == (400, "IncompleteSignature")
