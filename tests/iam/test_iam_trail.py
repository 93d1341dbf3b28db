"""IAM calls in CloudTrail: each a record in the caller's account, from iam.amazonaws.com in us-east-1 (where
AWS records global services), with the policy documents in requestParameters and never a secret."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from audit.models import AuditEvent
from tests.conftest import TRUSTED
from tests.iam.conftest import IAM_ADMIN, NOBODY, TRUSTED_ROOT, key_use_policy


def _lookup(live_server, credentials, **kwargs):
    trail = boto3.client("cloudtrail", endpoint_url=live_server.url, region_name="us-east-1",
                         aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1])
    return trail.lookup_events(**kwargs)["Events"]


def test_lookup_events_in_us_east_1_finds_iam_calls_with_their_documents(iam, live_server):
    iam(IAM_ADMIN).create_policy(PolicyName="UseSharedKey", PolicyDocument=json.dumps(key_use_policy()))
    events = _lookup(live_server, TRUSTED_ROOT,
                     LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreatePolicy"}])
    assert len(events) == 1
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["awsRegion"] == "us-east-1"
    assert record["recipientAccountId"] == TRUSTED
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{TRUSTED}:user/IamAdmin"
    assert json.loads(record["requestParameters"]["policyDocument"]) == key_use_policy()
    assert events[0]["Username"] == "IamAdmin"


def test_denied_iam_call_is_recorded_with_its_error(iam):
    with pytest.raises(ClientError):
        iam(NOBODY).create_user(UserName="Mallory")
    record = AuditEvent.objects.get(event_name="CreateUser").record
    assert record["errorCode"] == "AccessDenied"
    assert "iam:CreateUser" in record["errorMessage"]


def test_access_key_secret_never_reaches_the_trail(iam):
    secret = iam(IAM_ADMIN).create_access_key(UserName="Nobody")["AccessKey"]["SecretAccessKey"]
    record = AuditEvent.objects.get(event_name="CreateAccessKey").record
    assert secret not in json.dumps(record)
    assert "secretAccessKey" not in json.dumps(record)
