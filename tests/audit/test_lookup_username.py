"""LookupEvents' Username for assumed-role callers (issue 12, item 6).

CloudTrail names an assumed-role caller by its role session name (the AWS CLI's lookup-events example
shows "Username": "my-session-name" for an AssumedRole identity). The key owner's copy of another
account's call shows the caller as principalId "AROA…:<session name>", so its Username is the session
name too: the Event history's User column, its user filter and LookupEvents' Username attribute agree.
"""

import json

from django.test import Client

from audit.models import AuditEvent
from tests.audit.conftest import BOB_KEY
from tests.conftest import DEMO_KEY_ARN, OWNER, TRUSTED, access_key_of

ROLE_ARN = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"


def assumed_role_kms(aws, trail, session_name):
    alice = access_key_of(trail, TRUSTED, "Alice")
    credentials = aws("sts", alice).assume_role(RoleArn=ROLE_ARN, RoleSessionName=session_name)["Credentials"]
    return aws("kms", (credentials["AccessKeyId"], credentials["SecretAccessKey"]),
               session_token=credentials["SessionToken"])


def test_owner_finds_another_accounts_role_session_by_its_session_name(trail, aws, key_admin):
    assumed_role_kms(aws, trail, "Alice").encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"lookup-username")
    cloudtrail = aws("cloudtrail", key_admin)

    found = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "Alice"}])
    encrypts = [event for event in found["Events"] if event["EventName"] == "Encrypt"]
    assert len(encrypts) == 1
    event = encrypts[0]
    assert event["Username"] == "Alice"
    record = json.loads(event["CloudTrailEvent"])
    assert record["recipientAccountId"] == OWNER
    assert record["userIdentity"]["type"] == "AWSAccount"
    assert record["userIdentity"]["principalId"].endswith(":Alice")
    # The owner's copy still names the caller only by account and principal id.
    assert "arn" not in record["userIdentity"] and "sessionContext" not in record["userIdentity"]


def test_an_unknown_session_name_finds_nothing(trail, aws, key_admin):
    assumed_role_kms(aws, trail, "Alice").encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"lookup-username")
    found = aws("cloudtrail", key_admin).lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "Mallory"}])
    assert found["Events"] == []


def test_the_callers_copy_has_the_same_username(trail, aws):
    assumed_role_kms(aws, trail, "Alice").encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"lookup-username")
    callers_copy = AuditEvent.objects.get(recipient_account=TRUSTED, event_name="Encrypt")
    owners_copy = AuditEvent.objects.get(recipient_account=OWNER, event_name="Encrypt")
    assert callers_copy.username == owners_copy.username == "Alice"


def test_another_accounts_iam_user_is_named_by_principal_id_not_by_user_name(trail, aws, key_admin):
    aws("kms", BOB_KEY).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"lookup-username")
    owners_copy = AuditEvent.objects.get(recipient_account=OWNER, event_name="Encrypt")
    principal_id = owners_copy.record["userIdentity"]["principalId"]
    assert owners_copy.username == principal_id and "Bob" not in principal_id
    cloudtrail = aws("cloudtrail", key_admin)
    assert cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "Bob"}])["Events"] == []
    by_id = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": principal_id}])["Events"]
    assert [event["EventName"] for event in by_id] == ["Encrypt"]


def test_console_user_filter_finds_the_row_by_the_name_its_user_column_shows(trail, aws):
    assumed_role_kms(aws, trail, "Alice").encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"lookup-username")
    console = Client()
    assert console.post("/signin/", {"account": "key-owner", "username": "KeyAdmin",
                                     "password": "demo-KeyAdmin-password-not-secret"}).status_code == 302
    html = console.get("/events/", {"user": "Alice", "event_name": "Encrypt"}).content.decode()
    assert html.count('data-testid="event-row"') == 1
    assert 'data-testid="event-user">Alice<' in html
