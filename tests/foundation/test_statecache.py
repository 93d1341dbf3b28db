"""The process-local state cache is exactly as fresh as the database (kmsconsole/statecache.py)."""

import pytest
from botocore.exceptions import ClientError

from accounts.models import AccessKey, InlinePolicy, StateToken
from kmsconsole import statecache
from tests.conftest import DEMO_KEY_ARN, OWNER, access_key_of


def _token():
    return StateToken.objects.values_list("token", flat=True).first()


def test_every_saved_change_to_what_authorisation_reads_moves_the_token(demo):
    before = _token()
    policy = InlinePolicy.objects.filter(user__account_id=OWNER).first()
    policy.save()
    assert _token() != before


def test_a_deactivated_access_key_is_refused_on_the_very_next_call(demo, aws):
    credentials = access_key_of(demo, OWNER, "KeyAdmin")
    kms = aws("kms", credentials)
    kms.list_keys()
    key = AccessKey.objects.get(access_key_id=credentials[0])
    key.status = AccessKey.INACTIVE
    key.save()
    with pytest.raises(ClientError) as refused:
        kms.list_keys()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_bulk_update_is_seen_once_it_bumps_the_token(demo, aws):
    credentials = access_key_of(demo, OWNER, "KeyAdmin")
    kms = aws("kms", credentials)
    kms.list_keys()
    AccessKey.objects.filter(access_key_id=credentials[0]).update(status=AccessKey.INACTIVE)
    statecache.bump()
    with pytest.raises(ClientError) as refused:
        kms.list_keys()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_nothing_is_cached_outside_a_request(demo):
    loads = []
    statecache.get("probe", 1, lambda: loads.append(1))
    statecache.get("probe", 1, lambda: loads.append(1))
    assert len(loads) == 2


def test_inside_a_request_a_value_is_loaded_once_until_the_token_moves(demo):
    loads = []
    with statecache.request_scope():
        statecache.get("probe", 2, lambda: loads.append(1) or "v")
        assert statecache.get("probe", 2, lambda: loads.append(1) or "v") == "v"
    assert len(loads) == 1
    statecache.bump()
    with statecache.request_scope():
        statecache.get("probe", 2, lambda: loads.append(1) or "v")
    assert len(loads) == 2


# Read-only API calls speculate: they trust the process's cached state and confirm it in their audit INSERT
# (or with a token read when they write no record), running again on fresh state when it moved.

def _records(name):
    from audit.models import AuditEvent

    return [row.record for row in AuditEvent.objects.filter(event_name=name).order_by("event_time")]


def test_a_removed_iam_policy_takes_effect_on_the_very_next_call_recorded_once(demo, aws):
    # KeyAdmin may Encrypt only through its IAM kms:* (the key policy names it as administrator only).
    kms = aws("kms", access_key_of(demo, OWNER, "KeyAdmin"))
    kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"fills the cache")
    InlinePolicy.objects.filter(user__account_id=OWNER, user__name="KeyAdmin").delete()
    with pytest.raises(ClientError) as denied:
        kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"would have passed on the cached policies")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    # One record per call: the speculative attempt on the old policies wrote nothing.
    assert [r.get("errorCode") for r in _records("Encrypt")] == [None, "AccessDenied"]


def test_a_grant_of_access_is_seen_by_the_very_next_call_and_recorded_once(demo, aws):
    kms = aws("kms", access_key_of(demo, OWNER, "KeyAdmin"))
    policies = list(InlinePolicy.objects.filter(user__account_id=OWNER, user__name="KeyAdmin"))
    InlinePolicy.objects.filter(pk__in=[p.pk for p in policies]).delete()
    with pytest.raises(ClientError):
        kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"denied, and the denial is cached state")
    for policy in policies:
        policy.pk = None
        policy.save()
    kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"allowed again")
    assert [r.get("errorCode") for r in _records("Encrypt")] == ["AccessDenied", None]


def test_an_access_key_created_after_a_refusal_works_at_once(demo, aws):
    credentials = access_key_of(demo, OWNER, "KeyAdmin")
    key = AccessKey.objects.get(access_key_id=credentials[0])
    secret = key.secret_access_key
    key.delete()
    kms = aws("kms", credentials)
    with pytest.raises(ClientError) as refused:
        kms.list_keys()  # the cache now knows this key id as unknown
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    key.access_key_id = credentials[0]  # delete() cleared it
    key.secret_access_key = secret
    key.save(force_insert=True)
    # The refusal writes no record to confirm the state with: the token is read before answering.
    assert kms.list_keys()["Keys"]


def test_a_stale_attempt_writes_nothing_when_the_token_moved_under_it(demo):
    from django.db import connection

    from accounts.authn import principal_for_key
    from awsapi.dispatch import Call, execute

    if connection.vendor != "postgresql":
        pytest.skip("speculation confirms the token in PostgreSQL's SQL; elsewhere the token is always read")
    credentials = access_key_of(demo, OWNER, "KeyAdmin")
    principal = principal_for_key(AccessKey.objects.get(access_key_id=credentials[0]))
    before = len(_records("ListKeys"))
    with statecache.request_scope():
        statecache.get("probe", 3, lambda: "filled")  # the process now knows the current token
    with statecache.request_scope():
        statecache.speculate()
        statecache.get("probe", 3, lambda: "filled")
        assert statecache.unconfirmed_token() is not None
        statecache.bump()  # another process's change, committed while this call ran
        with pytest.raises(statecache.Stale):
            execute(Call(principal=principal, region="us-west-2", service="kms", operation="ListKeys", params={}))
    assert len(_records("ListKeys")) == before


def _signed_encrypt(credentials) -> dict:
    import base64
    import json

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = json.dumps({"KeyId": DEMO_KEY_ARN, "Plaintext": base64.b64encode(b"one statement").decode()})
    request = AWSRequest(method="POST", url="http://127.0.0.1/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"})
    SigV4Auth(Credentials(*credentials), "kms", "us-west-2").add_auth(request)
    headers = {name: value for name, value in request.headers.items() if name.lower() != "content-type"}
    headers["Host"] = "127.0.0.1"  # what the signature covers; the test client sends no Host of its own
    return {"data": body, "content_type": "application/x-amz-json-1.1", "headers": headers}


def test_a_warm_read_only_call_costs_one_statement(demo, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads the token on every call")
    credentials = access_key_of(demo, OWNER, "KeyAdmin")
    first = client.post("/", **_signed_encrypt(credentials))
    assert first.status_code == 200, first.content  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/", **_signed_encrypt(credentials))
    assert response.status_code == 200, response.content
    # The audit INSERT, which also confirms the cached state: no token read, no health check.
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert "accounts_statetoken" in queries.captured_queries[0]["sql"]
