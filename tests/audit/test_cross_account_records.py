"""Both sides of one cross-account call, denied calls, record contents and the all-or-nothing rule."""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from audit.models import AuditEvent
from keys.models import Key
from tests.audit.conftest import BOB_KEY, OUTSIDER_ROOT_KEY, lookup_all
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OUTSIDER, OWNER, REGION, TRUSTED

PLAINTEXT = b"audit-plaintext-marker: the launch code is 0000"


def kms_without_retries(live_server, credentials):
    # Config's max_attempts counts retries (the shared `aws` client retries once); a retry here would
    # be a second, successful call and hide what the first one left behind.
    return boto3.client(
        "kms", endpoint_url=live_server.url, region_name=REGION,
        aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1],
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def by_name(client, name):
    return lookup_all(client, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])


def test_cross_account_encrypt_is_recorded_once_in_each_account(trail, aws, key_admin):
    kms = aws("kms", BOB_KEY)
    kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=PLAINTEXT, EncryptionContext={"Department": "Engineering"})

    [callers] = by_name(aws("cloudtrail", BOB_KEY), "Encrypt")
    [owners] = by_name(aws("cloudtrail", key_admin), "Encrypt")
    caller_record, owner_record = json.loads(callers["CloudTrailEvent"]), json.loads(owners["CloudTrailEvent"])

    assert caller_record["sharedEventID"] == owner_record["sharedEventID"]
    assert caller_record["requestID"] == owner_record["requestID"]
    assert caller_record["eventID"] != owner_record["eventID"]
    assert (caller_record["recipientAccountId"], owner_record["recipientAccountId"]) == (TRUSTED, OWNER)

    bob = caller_record["userIdentity"]
    assert bob["type"] == "IAMUser" and bob["userName"] == "Bob" and bob["accessKeyId"] == BOB_KEY[0]
    assert bob["arn"] == f"arn:aws:iam::{TRUSTED}:user/Bob"
    assert owner_record["userIdentity"] == {"type": "AWSAccount", "principalId": bob["principalId"], "accountId": TRUSTED}

    for record in (caller_record, owner_record):
        assert record["eventSource"] == "kms.amazonaws.com"
        assert record["readOnly"] is True
        assert record["resources"] == [{"accountId": OWNER, "type": "AWS::KMS::Key", "ARN": DEMO_KEY_ARN}]
        assert record["requestParameters"] == {
            "keyId": DEMO_KEY_ARN, "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "encryptionContext": {"Department": "Engineering"},
        }
        assert record["responseElements"] is None
        assert "errorCode" not in record
    # The owner's event history names the caller only by what its record shows (issue 12, item 6): the
    # principal id, never the other account's user name; no access key id.
    assert callers["Username"] == "Bob" and callers["AccessKeyId"] == BOB_KEY[0]
    assert owners["Username"] == bob["principalId"] and "AccessKeyId" not in owners
    assert owners["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": DEMO_KEY_ARN}]


def test_denied_cross_account_call_is_recorded_in_the_callers_account_only(trail, aws, key_admin):
    outsider_kms = aws("kms", OUTSIDER_ROOT_KEY)
    with pytest.raises(ClientError) as excinfo:
        outsider_kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=PLAINTEXT)
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"

    [event] = by_name(aws("cloudtrail", OUTSIDER_ROOT_KEY), "Encrypt")
    record = json.loads(event["CloudTrailEvent"])
    assert record["recipientAccountId"] == OUTSIDER
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{OUTSIDER}:root"
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] == excinfo.value.response["Error"]["Message"]
    assert "sharedEventID" not in record
    # Nothing about the owner's key policy reaches the outsider's record.
    assert "additionalEventData" not in record
    assert event["Username"] == "root"
    assert by_name(aws("cloudtrail", key_admin), "Encrypt") == []


def test_same_account_mutation_is_recorded_with_its_response_and_not_read_only(trail, aws, key_admin):
    aws("kms", key_admin).update_key_description(KeyId=DEMO_KEY_ID, Description="rotated by KeyAdmin")
    [event] = lookup_all(aws("cloudtrail", key_admin),
                         LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}])
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventName"] == "UpdateKeyDescription"
    assert record["readOnly"] is False
    assert record["requestParameters"] == {"keyId": DEMO_KEY_ID, "description": "rotated by KeyAdmin"}
    assert "sharedEventID" not in record
    resource_events = lookup_all(aws("cloudtrail", key_admin),
                                 LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": DEMO_KEY_ARN}])
    assert [e["EventId"] for e in resource_events] == [event["EventId"]]
    typed = lookup_all(aws("cloudtrail", key_admin),
                       LookupAttributes=[{"AttributeKey": "ResourceType", "AttributeValue": "AWS::KMS::Key"}])
    assert [e["EventId"] for e in typed] == [event["EventId"]]
    kms_events = lookup_all(aws("cloudtrail", key_admin),
                            LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}])
    assert [e["EventId"] for e in kms_events] == [event["EventId"]]


def test_a_failure_after_the_change_and_before_commit_leaves_neither_change_nor_its_record(
        trail, live_server, key_admin, monkeypatch):
    import audit.trail

    description = Key.objects.get(key_id=DEMO_KEY_ID).description
    real_insert_rows = audit.trail.insert_rows
    failures = []

    # Every record reaches the database through insert_rows; the first write fails.
    def insert_rows(rows, **kwargs):
        if not failures:
            failures.append(rows)
            raise RuntimeError("disk full while writing the audit record")
        return real_insert_rows(rows, **kwargs)

    monkeypatch.setattr(audit.trail, "insert_rows", insert_rows)
    with pytest.raises(ClientError) as excinfo:
        kms_without_retries(live_server, key_admin).update_key_description(
            KeyId=DEMO_KEY_ID, Description="never committed")
    assert excinfo.value.response["Error"]["Code"] == "KMSInternalException"

    assert Key.objects.get(key_id=DEMO_KEY_ID).description == description
    records = [row.record for row in AuditEvent.objects.filter(event_name="UpdateKeyDescription")]
    # No record of the change; only the record of the failed call, written after the rollback.
    assert [r.get("errorCode") for r in records] == ["KMSInternalException"]
    assert failures and failures[0][0].record.get("errorCode") is None
