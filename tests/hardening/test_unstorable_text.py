"""Text PostgreSQL cannot hold (NUL, lone surrogates): refused where it would be stored, taken faithfully where
it is not (encryption contexts), and the call's record is always written (issue 11 §1)."""

import base64
import json

import pytest
from django.test import Client

from tests.conftest import DEMO_KEY_ID
from tests.hardening.conftest import (
    FORM_TYPE, SHARED_KEY_ARN, SHARED_KEY_ID, TRAIL_TARGET, json_error, kms_request, query_error, records_of,
    signed_request, state_digest,
)

NUL, SURROGATE = "\u0000", "\ud800"
BAD = pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])


def _refused(live_server, operation, body, code="ValidationException"):
    before = state_digest()
    response = kms_request(live_server.url, operation, json.dumps(body))
    assert json_error(response) == (400, code)
    [record] = records_of(response.headers["x-amzn-RequestId"])
    assert record["errorCode"] == code
    assert state_digest() == before
    return response, record


@BAD
def test_alias_name_is_refused_by_its_pattern(world, live_server, bad):
    response, record = _refused(live_server, "CreateAlias", {"AliasName": f"alias/x{bad}", "TargetKeyId": SHARED_KEY_ID})
    assert "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$" in response.json()["message"]
    assert record["requestParameters"]["aliasName"] == "alias/x\ufffd"


@BAD
def test_description_is_refused(world, live_server, bad):
    response, record = _refused(live_server, "UpdateKeyDescription", {"KeyId": SHARED_KEY_ID, "Description": f"d{bad}"})
    assert response.json()["message"] == (
        "1 validation error detected: Value at 'description' failed to satisfy constraint: "
        "Member must not contain null characters or unpaired surrogates")
    assert record["requestParameters"]["description"] == "d\ufffd"


@BAD
def test_tag_keys_and_values_are_refused(world, live_server, bad):
    _refused(live_server, "TagResource", {"KeyId": SHARED_KEY_ID, "Tags": [{"TagKey": f"k{bad}", "TagValue": "v"}]})
    _refused(live_server, "TagResource", {"KeyId": SHARED_KEY_ID, "Tags": [{"TagKey": "k", "TagValue": f"v{bad}"}]})
    _refused(live_server, "UntagResource", {"KeyId": SHARED_KEY_ID, "TagKeys": [f"k{bad}"]})
    _refused(live_server, "CreateKey", {"Tags": [{"TagKey": f"k{bad}", "TagValue": "v"}]})


@BAD
def test_key_ids_are_refused(world, live_server, bad):
    _refused(live_server, "DescribeKey", {"KeyId": f"{SHARED_KEY_ID}{bad}"})
    _refused(live_server, "DescribeKey", {"KeyId": f"alias/shared{bad}"})
    _refused(live_server, "DescribeKey", {"KeyId": f"{SHARED_KEY_ARN[:-1]}{bad}"})


@BAD
def test_grant_constraints_are_refused(world, live_server, bad):
    _refused(live_server, "CreateGrant", {
        "KeyId": SHARED_KEY_ID, "GranteePrincipal": "arn:aws:iam::444455556666:root", "Operations": ["Decrypt"],
        "Constraints": {"EncryptionContextSubset": {"k": f"v{bad}"}}})
    _refused(live_server, "ListGrants", {"KeyId": SHARED_KEY_ID, "GrantId": f"a{bad}"})


@BAD
def test_encryption_context_is_taken_faithfully_and_recorded_scrubbed(world, live_server, bad):
    context = {f"k{bad}": f"v{bad}"}
    plaintext = base64.b64encode(b"secret").decode()
    response = kms_request(live_server.url, "Encrypt", json.dumps(
        {"KeyId": SHARED_KEY_ID, "Plaintext": plaintext, "EncryptionContext": context}))
    assert response.status_code == 200, response.text
    blob = response.json()["CiphertextBlob"]
    [record] = records_of(response.headers["x-amzn-RequestId"])
    assert record["requestParameters"]["encryptionContext"] == {"k\ufffd": "v\ufffd"}

    decrypted = kms_request(live_server.url, "Decrypt", json.dumps({"CiphertextBlob": blob, "EncryptionContext": context}))
    assert decrypted.status_code == 200 and decrypted.json()["Plaintext"] == plaintext
    # The scrubbed context is another context: the ciphertext is bound to the one the caller sent.
    scrubbed = kms_request(live_server.url, "Decrypt", json.dumps(
        {"CiphertextBlob": blob, "EncryptionContext": {"k\ufffd": "v\ufffd"}}))
    assert json_error(scrubbed) == (400, "InvalidCiphertextException")


@BAD
def test_lookup_events_with_unstorable_value_is_refused_and_recorded(world, live_server, bad):
    body = json.dumps({"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": f"x{bad}"}]})
    response = signed_request(live_server.url, body, service="cloudtrail", target=TRAIL_TARGET + "LookupEvents")
    assert json_error(response) == (400, "ValidationException")
    assert len(records_of(response.headers["x-amzn-RequestId"])) == 1


def test_a_nul_in_a_query_request_is_refused_and_the_answer_still_parses(world, live_server):
    body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fx%00&RoleSessionName=session"
    response = signed_request(live_server.url, body, service="sts", content_type=FORM_TYPE)
    assert query_error(response) == (400, "ValidationError")
    text = response.content.decode("utf-8")
    assert "role/x\ufffd" in text and "\x00" not in text
    assert len(records_of(response.headers["x-amzn-RequestId"])) == 1


# ---- the console ----


@pytest.fixture
def key_admin(demo):
    client = Client()
    response = client.post("/signin/", {"account": "111122223333", "username": "KeyAdmin",
                                        "password": "demo-KeyAdmin-password-not-secret"})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", ["/keys/%00/", "/keys/%ED%A0%80/", f"/keys/{DEMO_KEY_ID}%00/tabs/tags/",
                                  "/events/key-activity/?key=%00", "/events/key-activity/?key=%ED%A0%80",
                                  "/events/?resource=%00", "/events/?event_name=%00&user=%00",
                                  "/events/download/?resource=%00"])
def test_console_pages_with_unstorable_text_do_not_fail(key_admin, path):
    response = key_admin.get(path)
    assert response.status_code in (200, 400, 403, 404), response.content[:500]


@pytest.mark.parametrize("bad", ["%00", "x\x00"])
def test_console_tag_removal_and_grant_revocation_with_nul_do_not_fail(key_admin, bad):
    before = state_digest()
    removed = key_admin.post(f"/keys/{DEMO_KEY_ID}/tags/", {"remove": f"k{bad}"})
    revoked = key_admin.post(f"/keys/{DEMO_KEY_ID}/grants/revoke/", {"grant_id": f"g{bad}"})
    assert removed.status_code < 500 and revoked.status_code < 500
    assert state_digest() == before
