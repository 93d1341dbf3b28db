"""GetKeyPolicy, PutKeyPolicy, ListKeyPolicies: validation, lockout, history, and the cross-account rule
(kms.md §11.2 row 8)."""

import json

import pytest

from keys.models import Key
from tests.api.conftest import ADMIN, BOB, NOBODY, SHARED_KEY_ARN, SHARED_KEY_ID, error_of
from tests.conftest import OWNER


def _policy(*principals):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": f"s{i}", "Effect": "Allow", "Principal": {"AWS": p}, "Action": "kms:*", "Resource": "*"}
        for i, p in enumerate(principals)]})


def test_get_key_policy_default_name_and_other_names(kms):
    client = kms()
    got = client.get_key_policy(KeyId=SHARED_KEY_ID)
    assert got["PolicyName"] == "default"
    assert json.loads(got["Policy"])["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert client.get_key_policy(KeyId=SHARED_KEY_ARN, PolicyName="default")["Policy"] == got["Policy"]
    assert error_of(client.get_key_policy, KeyId=SHARED_KEY_ID, PolicyName="other")[0] == "NotFoundException"
    assert error_of(client.get_key_policy, KeyId="alias/shared")[0] == "NotFoundException"
    assert error_of(kms(NOBODY).get_key_policy, KeyId=SHARED_KEY_ID)[0] == "AccessDeniedException"


def test_list_key_policies(kms):
    listed = kms().list_key_policies(KeyId=SHARED_KEY_ID)
    assert listed["PolicyNames"] == ["default"] and listed["Truncated"] is False


def test_put_key_policy_stores_a_new_version(kms):
    client = kms(ADMIN)
    policy = _policy(f"arn:aws:iam::{OWNER}:root", f"arn:aws:iam::{OWNER}:user/Admin")
    client.put_key_policy(KeyId=SHARED_KEY_ID, PolicyName="default", Policy=policy)
    assert client.get_key_policy(KeyId=SHARED_KEY_ID)["Policy"] == policy
    key = Key.objects.get(key_id=SHARED_KEY_ID)
    versions = list(key.policy_versions.order_by("version"))
    assert len(versions) == 2 and versions[-1].document == policy
    assert versions[-1].changed_by == f"arn:aws:iam::{OWNER}:user/Admin"


def test_put_key_policy_refuses_bad_documents(kms):
    client = kms()
    assert error_of(client.put_key_policy, KeyId=SHARED_KEY_ID, Policy=_policy("arn:aws:iam::999999999999:root")) \
        == ("MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
    no_principal = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*",
                                                                       "Resource": "*"}]})
    assert error_of(client.put_key_policy, KeyId=SHARED_KEY_ID, Policy=no_principal) == (
        "MalformedPolicyDocumentException", "Policy contains a statement with no principal.")
    big = _policy(*[f"arn:aws:iam::{OWNER}:root"] * 400)
    assert error_of(client.put_key_policy, KeyId=SHARED_KEY_ID, Policy=big)[0] == "LimitExceededException"


def test_put_key_policy_lockout_check_and_bypass(kms):
    client = kms(ADMIN)
    nobody_only = _policy(f"arn:aws:iam::{OWNER}:user/Nobody")
    assert error_of(client.put_key_policy, KeyId=SHARED_KEY_ID, Policy=nobody_only) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.")
    client.put_key_policy(KeyId=SHARED_KEY_ID, Policy=nobody_only, BypassPolicyLockoutSafetyCheck=True)
    # Admin has locked itself out: the key policy no longer lets the account delegate to IAM.
    assert error_of(client.get_key_policy, KeyId=SHARED_KEY_ID)[0] == "AccessDeniedException"
    assert kms(NOBODY).get_key_policy(KeyId=SHARED_KEY_ID)["Policy"] == nobody_only


def test_root_may_replace_the_policy_of_its_own_key(kms):
    client = kms()
    client.put_key_policy(KeyId=SHARED_KEY_ID, Policy=_policy(f"arn:aws:iam::{OWNER}:root"))


@pytest.mark.parametrize("operation,arguments", [
    ("schedule_key_deletion", {"PendingWindowInDays": 7}),
    ("put_key_policy", {"Policy": _policy("arn:aws:iam::444455556666:root")}),
    ("tag_resource", {"Tags": [{"TagKey": "Owner", "TagValue": "bob"}]}),
])
def test_management_operations_fail_across_accounts_even_when_both_policies_allow(kms, operation, arguments):
    # The key policy gives 444455556666 kms:* and Bob's IAM policy allows kms:* (kms.md §11.2 row 8).
    code, message = error_of(getattr(kms(BOB), operation), KeyId=SHARED_KEY_ARN, **arguments)
    assert code == "AccessDeniedException"
    assert message.startswith("User: arn:aws:iam::444455556666:user/Bob is not authorized to perform")
    assert Key.objects.get(key_id=SHARED_KEY_ID).state == "Enabled"
