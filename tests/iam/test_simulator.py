"""The IAM policy simulator over the wire: SimulatePrincipalPolicy and SimulateCustomPolicy with boto3 against the
live server, answered by the same engine as every real call, KMS cross-account rules included."""

import copy
import json

import pytest
from botocore.exceptions import ClientError

from accounts.models import IamPolicy, IamUser, InlinePolicy
from tests.conftest import OUTSIDER, OWNER, TRUSTED
from tests.iam.conftest import (ALICE_ARN, EXAMPLE_ROLE_ARN, IAM_ADMIN, KEY_ARN, NOBODY, WORLD, allow, document,
                                error_code, key_use_policy)

ROLE_SESSION_ARN = f"arn:aws:sts::{TRUSTED}:assumed-role/ExampleRole/app"
# The AWS CLI documentation's one-line example, with the positions AWS answers for its statement.
DATED_POLICY = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
                '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')


def _key_policy_for(principal: str, actions) -> str:
    return json.dumps(document(
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions,
         "Resource": "*"}), indent=2)


@pytest.fixture
def with_key_policies(world, load_scenario):
    """ExampleRole gets the guide's IAM policy (managed) plus kms:* on the key (inline); group KeyUsers has the
    guide's policy inline."""
    extended = copy.deepcopy(WORLD)
    trusted = extended["accounts"][0]
    trusted["managed_policies"] = [{"name": "AllowUseOfKeyInAccount111122223333", "document": key_use_policy()}]
    trusted["roles"][0]["managed_policies"] = ["AllowUseOfKeyInAccount111122223333"]
    trusted["roles"][0]["inline_policies"] = {"AllKms": document(allow("kms:*", KEY_ARN, sid="AllKms"))}
    trusted["groups"] = [{"name": "KeyUsers", "inline_policies": {"UseKey": key_use_policy()}}]
    load_scenario(extended)


def _only(response):
    (result,) = response["EvaluationResults"]
    return result


def _iam_tables():
    return (IamUser.objects.count(), IamPolicy.objects.count(), InlinePolicy.objects.count())


# ---- SimulateCustomPolicy ----

def test_custom_policy_allowed_with_awss_statement_positions(iam):
    result = _only(iam(IAM_ADMIN).simulate_custom_policy(
        PolicyInputList=[DATED_POLICY], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"],
                         "ContextKeyType": "date"}]))
    assert result["EvalActionName"] == "dynamodb:CreateBackup"
    assert result["EvalResourceName"] == "*"
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"] == [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "IAM Policy",
                                            "StartPosition": {"Line": 1, "Column": 38},
                                            "EndPosition": {"Line": 1, "Column": 167}}]
    assert result["MissingContextValues"] == []
    assert "EvalDecisionDetails" not in result and "ResourceSpecificResults" not in result


def test_custom_policy_before_the_date_is_an_implicit_deny(iam):
    result = _only(iam(IAM_ADMIN).simulate_custom_policy(
        PolicyInputList=[DATED_POLICY], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2018-01-01T00:00:00Z"],
                         "ContextKeyType": "date"}]))
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MatchedStatements"] == []


def test_explicit_deny_names_the_deny_statement_of_the_second_document(iam):
    allow_all = json.dumps(document(allow("kms:*", sid="All")), indent=4)
    deny = json.dumps(document(allow("kms:Encrypt", sid="Keep"),
                               {"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}),
                      indent=4)
    response = iam(IAM_ADMIN).simulate_custom_policy(PolicyInputList=[allow_all, deny],
                                                     ActionNames=["kms:Encrypt", "kms:Decrypt"])
    encrypt, decrypt = response["EvaluationResults"]
    assert encrypt["EvalDecision"] == "allowed"
    assert {m["SourcePolicyId"] for m in encrypt["MatchedStatements"]} == {"PolicyInputList.1", "PolicyInputList.2"}
    assert decrypt["EvalDecision"] == "explicitDeny"
    (matched,) = decrypt["MatchedStatements"]
    assert matched == {"SourcePolicyId": "PolicyInputList.2", "SourcePolicyType": "IAM Policy",
                       "StartPosition": {"Line": 10, "Column": 10}, "EndPosition": {"Line": 15, "Column": 10}}


def test_missing_context_values_are_the_condition_keys_nobody_supplied(iam):
    policy = json.dumps(document({"Sid": "Office", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
                                  "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                                                "StringEquals": {"kms:EncryptionContext:Department": "IT",
                                                                 "aws:username": "Alice"}}}))
    client = iam(IAM_ADMIN)
    bare = _only(client.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["kms:Encrypt"]))
    assert bare["EvalDecision"] == "implicitDeny"
    # aws:username comes from the caller; the others only from the request
    assert bare["MissingContextValues"] == ["aws:SourceIp", "kms:EncryptionContext:Department"]
    supplied = _only(client.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["kms:Encrypt"], CallerArn=ALICE_ARN,
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.7"], "ContextKeyType": "ip"},
                        {"ContextKeyName": "kms:EncryptionContext:Department", "ContextKeyValues": ["IT"],
                         "ContextKeyType": "string"}]))
    assert supplied["EvalDecision"] == "allowed"
    assert supplied["MissingContextValues"] == []


def test_same_account_key_policy_that_does_not_trust_the_account_keeps_iam_out(iam):
    key = f"arn:aws:kms:us-west-2:{TRUSTED}:key/0b1c2d3e-4f50-4617-8899-000000000001"
    only_admin = json.dumps(document({"Sid": "Admin", "Effect": "Allow",
                                      "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:user/IamAdmin"},
                                      "Action": "kms:*", "Resource": "*"}))
    result = _only(iam(IAM_ADMIN).simulate_custom_policy(
        PolicyInputList=[json.dumps(key_use_policy(key))], ActionNames=["kms:Encrypt"], ResourceArns=[key],
        ResourcePolicy=only_admin, CallerArn=ALICE_ARN))
    assert result["EvalDecision"] == "implicitDeny"
    assert result["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"}


# ---- SimulatePrincipalPolicy ----

def test_user_inline_policy_is_matched_with_its_name_and_type(iam):
    result = _only(iam(IAM_ADMIN).simulate_principal_policy(
        PolicySourceArn=ALICE_ARN, ActionNames=["sts:AssumeRole"], ResourceArns=[EXAMPLE_ROLE_ARN]))
    assert result["EvalDecision"] == "allowed"
    (matched,) = result["MatchedStatements"]
    assert (matched["SourcePolicyId"], matched["SourcePolicyType"]) == ("AssumeExampleRole", "user")
    assert matched["StartPosition"]["Line"] >= 1
    assert result["EvalDecisionDetails"] == {"IAM Policy": "allowed"}
    (specific,) = result["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == EXAMPLE_ROLE_ARN and specific["EvalResourceDecision"] == "allowed"


def test_policy_input_list_adds_to_the_principals_own_policies(iam):
    extra = json.dumps(document(allow("kms:DescribeKey", KEY_ARN, sid="Describe")))
    result = _only(iam(IAM_ADMIN).simulate_principal_policy(
        PolicySourceArn=ALICE_ARN, PolicyInputList=[extra], ActionNames=["kms:DescribeKey"], ResourceArns=[KEY_ARN]))
    assert result["EvalDecision"] == "allowed"
    assert [m["SourcePolicyId"] for m in result["MatchedStatements"]] == ["PolicyInputList.1"]


def test_guide_role_session_may_encrypt_with_the_shared_key(iam, with_key_policies):
    key_policy = _key_policy_for(f"arn:aws:iam::{TRUSTED}:root",
                                 ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                  "kms:DescribeKey"])
    result = _only(iam(IAM_ADMIN).simulate_principal_policy(
        PolicySourceArn=EXAMPLE_ROLE_ARN, CallerArn=ROLE_SESSION_ARN, ActionNames=["kms:Encrypt"],
        ResourceArns=[KEY_ARN], ResourcePolicy=key_policy))
    assert result["EvalDecision"] == "allowed"
    assert result["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    sources = {(m["SourcePolicyId"], m["SourcePolicyType"]) for m in result["MatchedStatements"]}
    assert sources == {("ResourcePolicy", "resource"), ("AllowUseOfKeyInAccount111122223333", "user-managed"),
                       ("AllKms", "role")}
    resource_statement = next(m for m in result["MatchedStatements"] if m["SourcePolicyId"] == "ResourcePolicy")
    assert resource_statement["StartPosition"] == {"Line": 13, "Column": 6}  # its "{" is line 13, column 5


def test_non_cross_account_action_on_another_accounts_key_is_an_implicit_deny(iam, with_key_policies):
    everything = _key_policy_for(f"arn:aws:iam::{TRUSTED}:root", "kms:*")
    response = iam(IAM_ADMIN).simulate_principal_policy(
        PolicySourceArn=EXAMPLE_ROLE_ARN, CallerArn=ROLE_SESSION_ARN,
        ActionNames=["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:Decrypt"],
        ResourceArns=[KEY_ARN], ResourcePolicy=everything)
    put, schedule, decrypt = response["EvaluationResults"]
    for refused in (put, schedule):
        assert refused["EvalDecision"] == "implicitDeny"
        # both policies allow it, and still: only the key's own account may do it
        assert refused["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"}
    assert decrypt["EvalDecision"] == "allowed"


def test_key_policy_alone_does_not_let_another_accounts_user_in(iam):
    key_policy = _key_policy_for(ALICE_ARN, "kms:*")
    result = _only(iam(IAM_ADMIN).simulate_principal_policy(
        PolicySourceArn=ALICE_ARN, ActionNames=["kms:Encrypt"], ResourceArns=[KEY_ARN], ResourcePolicy=key_policy))
    assert result["EvalDecision"] == "implicitDeny"
    assert result["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}
    assert [m["SourcePolicyId"] for m in result["MatchedStatements"]] == ["ResourcePolicy"]


def test_group_simulation_uses_the_groups_own_policies(iam, with_key_policies):
    result = _only(iam(IAM_ADMIN).simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{TRUSTED}:group/KeyUsers", ActionNames=["kms:Decrypt"], ResourceArns=[KEY_ARN]))
    assert result["EvalDecision"] == "allowed"
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in result["MatchedStatements"]] == [("UseKey", "group")]


def test_results_paginate(iam):
    client = iam(IAM_ADMIN)
    first = client.simulate_principal_policy(PolicySourceArn=ALICE_ARN, MaxItems=2,
                                             ActionNames=["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])
    assert first["IsTruncated"] and len(first["EvaluationResults"]) == 2
    rest = client.simulate_principal_policy(PolicySourceArn=ALICE_ARN, Marker=first["Marker"],
                                            ActionNames=["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])
    assert not rest["IsTruncated"]
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["kms:DescribeKey"]


# ---- refusals ----

@pytest.mark.parametrize("arn, code", [
    (f"arn:aws:iam::{TRUSTED}:user/Nobody2", "NoSuchEntity"),
    (f"arn:aws:iam::{TRUSTED}:role/NoSuchRole", "NoSuchEntity"),
    (f"arn:aws:iam::{TRUSTED}:user/staff/Alice", "NoSuchEntity"),  # right name, wrong path
    (f"arn:aws:iam::{OUTSIDER}:user/Eve", "NoSuchEntity"),        # IAM acts in the caller's own account only
    ("arn:aws:s3:::not-an-iam-entity", "InvalidInput"),
])
def test_unknown_policy_source_is_refused(iam, arn, code):
    before = _iam_tables()
    with pytest.raises(ClientError) as excinfo:
        iam(IAM_ADMIN).simulate_principal_policy(PolicySourceArn=arn, ActionNames=["kms:Encrypt"])
    assert error_code(excinfo) == code
    assert _iam_tables() == before


def test_malformed_input_policy_is_malformed_policy_document(iam):
    before = _iam_tables()
    with pytest.raises(ClientError) as excinfo:
        iam(IAM_ADMIN).simulate_custom_policy(PolicyInputList=['{"Version": "2012-10-17"'],
                                              ActionNames=["kms:Encrypt"])
    assert error_code(excinfo) == "MalformedPolicyDocument"
    assert _iam_tables() == before


def test_malformed_resource_policy_is_invalid_input(iam):
    no_principal = json.dumps(document(allow("kms:*")))
    with pytest.raises(ClientError) as excinfo:
        iam(IAM_ADMIN).simulate_principal_policy(PolicySourceArn=ALICE_ARN, ActionNames=["kms:Encrypt"],
                                                 ResourceArns=[KEY_ARN], ResourcePolicy=no_principal)
    assert error_code(excinfo) == "InvalidInput"


def test_resource_policy_for_a_role_needs_a_caller_arn(iam):
    with pytest.raises(ClientError) as excinfo:
        iam(IAM_ADMIN).simulate_principal_policy(PolicySourceArn=EXAMPLE_ROLE_ARN, ActionNames=["kms:Encrypt"],
                                                 ResourceArns=[KEY_ARN],
                                                 ResourcePolicy=_key_policy_for(EXAMPLE_ROLE_ARN, "kms:*"))
    assert error_code(excinfo) == "InvalidInput"


def test_simulating_needs_the_iam_permission(iam):
    with pytest.raises(ClientError) as excinfo:
        iam(NOBODY).simulate_principal_policy(PolicySourceArn=ALICE_ARN, ActionNames=["kms:Encrypt"])
    assert error_code(excinfo) == "AccessDenied"
    assert excinfo.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:SimulatePrincipalPolicy on "
        f"resource: {ALICE_ARN} because no identity-based policy allows the iam:SimulatePrincipalPolicy action")
    with pytest.raises(ClientError) as excinfo:
        iam(NOBODY).simulate_custom_policy(PolicyInputList=[DATED_POLICY], ActionNames=["kms:Encrypt"])
    assert error_code(excinfo) == "AccessDenied"
