"""AssumeRole through boto3: the trust policy, the caller's IAM permission, ExternalId, durations, session policies."""

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from accounts.models import AccessKey, RoleSession
from audit.models import AuditEvent
from tests.conftest import OUTSIDER, OWNER, TRUSTED
from kmsconsole import statecache
from tests.sts.conftest import (ALICE_KEY, BOB_KEY, EXTERNAL_ID, MALLORY_KEY, OWNER_ROOT_KEY, credentials_of,
                                role_arn)


def error_of(excinfo):
    return excinfo.value.response["Error"]


def test_alice_assumes_a_role_whose_trust_policy_names_her(sts):
    response = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice")

    creds = response["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SessionToken"]) > 200
    assert response["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{TRUSTED}:assumed-role/ExampleRole/alice"
    assert response["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert response["AssumedRoleUser"]["AssumedRoleId"].endswith(":alice")
    assert "PackedPolicySize" not in response
    lifetime = creds["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(minutes=59) < lifetime <= dt.timedelta(hours=1)


def test_session_token_is_stored_only_as_a_digest(sts):
    response = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice")

    session = RoleSession.objects.get(access_key__access_key_id=response["Credentials"]["AccessKeyId"])
    assert session.token_digest != response["Credentials"]["SessionToken"]
    assert len(session.token_digest) == 64


def test_bob_cannot_assume_a_role_that_trusts_only_alice(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(BOB_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="bob")

    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_of(excinfo) == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": f"User: arn:aws:iam::{TRUSTED}:user/Bob is not authorized to perform: sts:AssumeRole on "
                   f"resource: {role_arn(TRUSTED, 'ExampleRole')} because no role trust policy allows the "
                   "sts:AssumeRole action",
    }


def test_explicit_deny_in_the_trust_policy_wins(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "DenyAliceRole"), RoleSessionName="alice")

    assert error_of(excinfo)["Message"].endswith("with an explicit deny in the role trust policy")


def test_a_role_that_does_not_exist_is_denied_like_one_that_does(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "NoSuchRole"), RoleSessionName="alice")

    assert error_of(excinfo)["Code"] == "AccessDenied"
    assert error_of(excinfo)["Message"] == (
        f"User: arn:aws:iam::{TRUSTED}:user/Alice is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn(TRUSTED, 'NoSuchRole')}")


def test_trust_in_the_account_needs_the_callers_iam_permission(sts):
    allowed = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "AccountTrustRole"), RoleSessionName="alice")
    assert allowed["AssumedRoleUser"]["Arn"].endswith("assumed-role/AccountTrustRole/alice")

    with pytest.raises(ClientError) as excinfo:
        sts(BOB_KEY).assume_role(RoleArn=role_arn(TRUSTED, "AccountTrustRole"), RoleSessionName="bob")
    assert error_of(excinfo)["Message"].endswith("because no identity-based policy allows the sts:AssumeRole action")


def test_cross_account_assume_needs_trust_and_the_callers_iam_permission(sts):
    allowed = sts(ALICE_KEY).assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"), RoleSessionName="alice")
    assert allowed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{OWNER}:assumed-role/CrossAccountRole/alice"

    # Bob's account is trusted, but Bob has no IAM permission of his own.
    with pytest.raises(ClientError) as excinfo:
        sts(BOB_KEY).assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"), RoleSessionName="bob")
    assert error_of(excinfo)["Code"] == "AccessDenied"

    # Mallory has the IAM permission, but her account is not trusted.
    with pytest.raises(ClientError) as excinfo:
        sts(MALLORY_KEY).assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"), RoleSessionName="mallory")
    assert error_of(excinfo)["Message"].endswith("because no role trust policy allows the sts:AssumeRole action")


def test_the_root_user_cannot_assume_a_role(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(OWNER_ROOT_KEY).assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"), RoleSessionName="root")

    assert error_of(excinfo) == {"Type": "Sender", "Code": "AccessDenied",
                                 "Message": "Roles may not be assumed by root accounts."}


def test_external_id_must_match_the_trust_policy_condition(sts):
    alice = sts(ALICE_KEY)
    arn = role_arn(TRUSTED, "ExternalIdRole")

    assert alice.assume_role(RoleArn=arn, RoleSessionName="alice", ExternalId=EXTERNAL_ID)["Credentials"]
    for wrong in ({"ExternalId": "Unicorn-43"}, {}):
        with pytest.raises(ClientError) as excinfo:
            alice.assume_role(RoleArn=arn, RoleSessionName="alice", **wrong)
        assert error_of(excinfo)["Code"] == "AccessDenied"


def test_duration_within_the_role_maximum(sts):
    alice = sts(ALICE_KEY)
    short = alice.assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="a1", DurationSeconds=900)
    lifetime = short["Credentials"]["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(minutes=14) < lifetime <= dt.timedelta(minutes=15)

    long = alice.assume_role(RoleArn=role_arn(TRUSTED, "LongSessionRole"), RoleSessionName="a2", DurationSeconds=7200)
    assert long["Credentials"]["Expiration"] - dt.datetime.now(dt.timezone.utc) > dt.timedelta(hours=1, minutes=59)


def test_duration_over_the_role_maximum_is_refused(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice",
                                   DurationSeconds=3601)

    assert error_of(excinfo)["Code"] == "ValidationError"
    assert error_of(excinfo)["Message"] == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


def test_duration_below_the_minimum_is_a_validation_error(live_server, sts_world):
    # boto3 itself refuses values below 900, so this call goes out with client-side validation off.
    import boto3
    from botocore.config import Config

    client = boto3.client("sts", endpoint_url=live_server.url, region_name="us-west-2",
                          aws_access_key_id=ALICE_KEY[0], aws_secret_access_key=ALICE_KEY[1],
                          config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        client.assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice", DurationSeconds=60)

    assert error_of(excinfo)["Code"] == "ValidationError"
    assert "Member must have value greater than or equal to 900" in error_of(excinfo)["Message"]


def test_role_chaining_is_capped_at_one_hour(sts):
    first = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice")
    session = sts(*credentials_of(first))

    chained = session.assume_role(RoleArn=role_arn(TRUSTED, "ChainTargetRole"), RoleSessionName="chained")
    assert chained["AssumedRoleUser"]["Arn"].endswith("assumed-role/ChainTargetRole/chained")

    with pytest.raises(ClientError) as excinfo:
        session.assume_role(RoleArn=role_arn(TRUSTED, "ChainTargetRole"), RoleSessionName="chained",
                            DurationSeconds=3700)
    assert error_of(excinfo)["Message"] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")


def test_session_policy_narrows_what_the_session_may_do(sts):
    """ExampleRole may assume other roles; a session policy allowing only KMS takes that away."""
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]})
    narrowed = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="narrow",
                                          Policy=policy)
    assert 1 <= narrowed["PackedPolicySize"] <= 100

    with pytest.raises(ClientError) as excinfo:
        sts(*credentials_of(narrowed)).assume_role(RoleArn=role_arn(TRUSTED, "ChainTargetRole"),
                                                   RoleSessionName="chained")
    assert error_of(excinfo)["Message"].endswith("because no session policy allows the sts:AssumeRole action")


def test_session_policy_from_a_managed_policy_arn_is_not_found_when_absent(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice",
                                   PolicyArns=[{"arn": f"arn:aws:iam::{TRUSTED}:policy/Nope"}])
    assert error_of(excinfo)["Code"] == "MalformedPolicyDocument"


def test_malformed_session_policy_is_refused(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice",
                                   Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')

    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(excinfo)["Code"] == "MalformedPolicyDocument"


def test_expired_session_credentials_are_refused(sts):
    response = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice",
                                          DurationSeconds=900)
    session = sts(*credentials_of(response))
    assert session.get_caller_identity()["Arn"].endswith("/alice")

    RoleSession.objects.filter(access_key__access_key_id=response["Credentials"]["AccessKeyId"]).update(
        expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    statecache.bump()  # QuerySet.update() sends no signal: say the state changed

    with pytest.raises(ClientError) as excinfo:
        session.get_caller_identity()
    assert error_of(excinfo)["Code"] == "ExpiredToken"
    assert error_of(excinfo)["Message"] == "The security token included in the request is expired"


def test_session_credentials_without_the_token_are_invalid(sts):
    response = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice")
    creds, _token = credentials_of(response)

    for token in (None, "not-the-token"):
        with pytest.raises(ClientError) as excinfo:
            sts(creds, token).get_caller_identity()
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert error_of(excinfo)["Code"] == "InvalidClientTokenId"


def test_opt_in_region_not_enabled_for_the_roles_account(sts, load_scenario):
    # The trusted account enables af-south-1; the owner account does not.
    load_scenario({"version": 1, "accounts": [
        {"id": TRUSTED, "enabled_regions": ["us-west-2", "af-south-1"]},
    ]})
    with pytest.raises(ClientError) as excinfo:
        sts(ALICE_KEY, region="af-south-1").assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"),
                                                        RoleSessionName="alice")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_of(excinfo)["Code"] == "RegionDisabledException"


def test_assume_role_is_audited_in_both_accounts_without_secrets(sts):
    response = sts(ALICE_KEY).assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"), RoleSessionName="alice")
    request_id = response["ResponseMetadata"]["RequestId"]

    events = AuditEvent.objects.filter(request_id=request_id, event_name="AssumeRole")
    assert sorted(e.recipient_account for e in events) == sorted([TRUSTED, OWNER])
    text = json.dumps([e.record for e in events])
    assert response["Credentials"]["SecretAccessKey"] not in text
    assert response["Credentials"]["SessionToken"] not in text
    record = next(e.record for e in events if e.recipient_account == TRUSTED)
    assert record["eventSource"] == "sts.amazonaws.com"
    assert record["requestParameters"] == {"roleArn": role_arn(OWNER, "CrossAccountRole"), "roleSessionName": "alice"}
    assert record["responseElements"]["credentials"] == {
        "accessKeyId": response["Credentials"]["AccessKeyId"],
        "expiration": response["Credentials"]["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_denied_assume_role_is_audited_in_the_callers_account_only(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(MALLORY_KEY).assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"), RoleSessionName="mallory")
    request_id = excinfo.value.response["ResponseMetadata"]["RequestId"]

    events = AuditEvent.objects.filter(request_id=request_id)
    assert [(e.recipient_account, e.error_code) for e in events] == [(OUTSIDER, "AccessDenied")]
    assert AccessKey.objects.filter(access_key_id__startswith="ASIA").count() == 0
