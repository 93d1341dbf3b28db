"""SimulatePrincipalPolicy agrees with the real call's decision on every case of the policy corpus that has an IAM
principal (tests/policies/cases, read by tests/policies/test_policy_cases.py).

For each key-policy case whose caller is an IAM user or a role session, the case's world is loaded as a scenario
(key 1234abcd-... of 111122223333 with the case's key policy; the caller's user or role with the case's identity
policies as inline policies), the real KMS call is made through awsapi.dispatch.execute as that user or session,
and SimulatePrincipalPolicy is asked, as the caller's account root, with the key policy as ResourcePolicy and the
request's facts as ContextEntries. Both must allow, or both refuse. Cases a real call cannot reproduce are
skipped, each with its reason.
"""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account, IamRole, IamUser, RoleSession
from accounts.principals import Principal
from awsapi import errors
from awsapi.dispatch import Call, execute
from policies.conditions import parse_operator
from tests.policies.test_policy_cases import CASES, FIXTURES, KEY_ARN

KEY_ID = KEY_ARN.rsplit("/", 1)[1]
KEY_ACCOUNT, KEY_REGION = "111122223333", "us-west-2"
SOURCE_IP = "192.0.2.10"

# action -> (KMS operation, request members besides KeyId, key spec, key usage)
_SYMMETRIC = ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
_SIGNING = ("ECC_NIST_P256", "SIGN_VERIFY")
_MAC = ("HMAC_256", "GENERATE_VERIFY_MAC")
CALLS = {
    "kms:Encrypt": ("Encrypt", {"Plaintext": b"hello"}, _SYMMETRIC),
    # A blob that is no ciphertext: Decrypt authorises first, then refuses the blob (InvalidCiphertextException).
    "kms:Decrypt": ("Decrypt", {"CiphertextBlob": b"\x01" * 64}, _SYMMETRIC),
    "kms:GenerateDataKey": ("GenerateDataKey", {"KeySpec": "AES_256"}, _SYMMETRIC),
    "kms:GenerateDataKeyWithoutPlaintext": ("GenerateDataKeyWithoutPlaintext", {"KeySpec": "AES_256"}, _SYMMETRIC),
    "kms:GenerateDataKeyPair": ("GenerateDataKeyPair", {"KeyPairSpec": "ECC_NIST_P256"}, _SYMMETRIC),
    "kms:DescribeKey": ("DescribeKey", {}, _SYMMETRIC),
    "kms:GetKeyRotationStatus": ("GetKeyRotationStatus", {}, _SYMMETRIC),
    "kms:ScheduleKeyDeletion": ("ScheduleKeyDeletion", {"PendingWindowInDays": 7}, _SYMMETRIC),
    "kms:CancelKeyDeletion": ("CancelKeyDeletion", {}, _SYMMETRIC),
    "kms:EnableKeyRotation": ("EnableKeyRotation", {}, _SYMMETRIC),
    "kms:EnableKey": ("EnableKey", {}, _SYMMETRIC),
    "kms:DisableKey": ("DisableKey", {}, _SYMMETRIC),
    "kms:TagResource": ("TagResource", {"Tags": [{"TagKey": "team", "TagValue": "payments"}]}, _SYMMETRIC),
    "kms:UntagResource": ("UntagResource", {"TagKeys": ["team"]}, _SYMMETRIC),
    "kms:ListResourceTags": ("ListResourceTags", {}, _SYMMETRIC),
    "kms:GetKeyPolicy": ("GetKeyPolicy", {}, _SYMMETRIC),
    "kms:ListKeyPolicies": ("ListKeyPolicies", {}, _SYMMETRIC),
    # The key policy stays the same; the lockout check, if it refuses, comes after the authorisation.
    "kms:PutKeyPolicy": ("PutKeyPolicy", {}, _SYMMETRIC),
    "kms:UpdateKeyDescription": ("UpdateKeyDescription", {"Description": "simulated"}, _SYMMETRIC),
    "kms:ListGrants": ("ListGrants", {}, _SYMMETRIC),
    "kms:CreateGrant": ("CreateGrant", {"Operations": ["Decrypt"]}, _SYMMETRIC),
    "kms:Sign": ("Sign", {"Message": b"hello", "SigningAlgorithm": "ECDSA_SHA_256"}, _SIGNING),
    "kms:Verify": ("Verify", {"Message": b"hello", "Signature": b"\x30" * 70, "SigningAlgorithm": "ECDSA_SHA_256"},
                   _SIGNING),
    "kms:GetPublicKey": ("GetPublicKey", {}, _SIGNING),
    "kms:GenerateMac": ("GenerateMac", {"Message": b"hello", "MacAlgorithm": "HMAC_SHA_256"}, _MAC),
    "kms:VerifyMac": ("VerifyMac", {"Message": b"hello", "MacAlgorithm": "HMAC_SHA_256", "Mac": b"\x00" * 32}, _MAC),
}
_NO_CALL = {
    "kms:ReEncryptFrom": "ReEncrypt decides kms:ReEncryptFrom and kms:ReEncryptTo together",
    "kms:ReEncryptTo": "ReEncrypt decides kms:ReEncryptFrom and kms:ReEncryptTo together",
    "kms:CreateAlias": "CreateAlias is decided on the alias and on the key together",
    "kms:RevokeGrant": "RevokeGrant needs a grant, which the case does not declare",
    "kms:RetireGrant": "RetireGrant is decided by a grant, which the case does not declare",
    "kms:DeriveSharedSecret": "DeriveSharedSecret needs a key-agreement key and a peer public key",
    "kms:Encapsulate": "Encapsulate needs an ML-KEM key, which the case does not declare",
    "kms:Decapsulate": "Decapsulate needs an ML-KEM key and a ciphertext, which the case does not declare",
}
# Operations whose requests always say they are not for an AWS resource (keys.authz).
_GRANT_MANAGEMENT = {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
# Request members that carry a context key of the case.
_CONTEXT_MEMBERS = {"kms:ScheduleKeyDeletionPendingWindowInDays": "PendingWindowInDays",
                    "kms:RotationPeriodInDays": "RotationPeriodInDays"}


def _caller_spec(case) -> dict:
    return FIXTURES["callers"][case["caller"]] if isinstance(case["caller"], str) else case["caller"]


def _document(spec) -> dict:
    return FIXTURES["policies"][spec] if isinstance(spec, str) else spec


def skip_reason(case) -> str | None:
    """Why a case cannot be compared with a real call, or None."""
    if case.get("kind", "key") != "key":
        return f"a {case['kind']} decision, not a key-policy one"
    caller = _caller_spec(case)
    if caller["kind"] == "Root":
        return "the caller is an account root user, not an IAM principal"
    if case.get("grants"):
        return "grants: the simulator evaluates policies only"
    if case.get("session_policy"):
        return "a session policy: SimulatePrincipalPolicy has no session policies"
    if "caller_region_enabled" in case or "key_region" in case:
        return "opt-in Regions: the simulator does not model the caller's enabled Regions by request"
    request = case["request"]
    if "resource" in request or "resource_account" in request:
        return "the request names no key of the world"
    if request["action"] not in CALLS:
        return _NO_CALL.get(request["action"], f"this test makes no real call for {request['action']}")
    context = {key.lower(): value for key, value in request.get("context", {}).items()}
    if "aws:currenttime" in context or "aws:epochtime" in context:
        return "time-based conditions: a real call happens now"
    if "kms:viaservice" in context:
        return "kms:ViaService: a direct call never comes through an AWS service"
    if str(context.get("aws:securetransport", "false")).lower() == "true":
        return "aws:SecureTransport true: calls in the test run over plain HTTP"
    if str(context.get("kms:grantisforawsresource", "false")).lower() == "true":
        return "kms:GrantIsForAWSResource true: only an AWS service's call carries it"
    if any(key.startswith("kms:recipientattestation:") for key in context):
        return "Nitro Enclaves attestation documents cannot be sent in the test"
    if any(not _is_number(context[key.lower()]) for key in _CONTEXT_MEMBERS if key.lower() in context):
        return "a request member that is not a number cannot be sent"
    if any(parse_operator(operator)[0] is None for operator in _operators(case)):
        return "a key policy with an unknown condition operator, which KMS refuses, so no such key exists"
    if "kms:resourcealiases" in context:
        return "kms:ResourceAliases comes from the key's aliases, which the case does not declare"
    text = json.dumps(case).lower()
    if caller["user_id"].split(":")[0].lower() in text.replace(json.dumps(caller).lower(), "") or "aws:userid" in text:
        return "principals named by unique id: a loaded scenario gives its own unique ids"
    return None


def _is_number(value) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _operators(case) -> set:
    statements = _document(case["key_policy"])["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    return {operator for statement in statements for operator in statement.get("Condition", {})}


COMPARED = [case for case in CASES if skip_reason(case) is None]


def test_most_cases_with_an_iam_principal_are_compared():
    with_iam_principal = [case for case in CASES if case.get("kind", "key") == "key"
                          and _caller_spec(case)["kind"] != "Root"]
    assert len(COMPARED) >= 150
    assert len(COMPARED) >= 0.7 * len(with_iam_principal)


def _policy_name(name: str, taken: set) -> str:
    clean = re.sub(r"[^\w+=,.@-]", "-", name)[:120]
    while clean in taken:
        clean += "_"
    taken.add(clean)
    return clean


def _world(case) -> dict:
    caller = _caller_spec(case)
    account_id = caller["account"]
    inline, taken = {}, set()
    for spec in case.get("identity_policies") or []:
        name, document = (spec, _document(spec)) if isinstance(spec, str) else (spec["name"], _document(spec["policy"]))
        inline[_policy_name(name, taken)] = document
    entity = {"name": caller.get("username") or caller["role_arn"].rsplit("/", 1)[1], "inline_policies": inline}
    if caller.get("tags"):
        entity["tags"] = caller["tags"]
    spec, usage = CALLS[case["request"]["action"]][2]
    key = {"id": KEY_ID, "region": KEY_REGION, "key_spec": spec, "key_usage": usage,
           "policy": _document(case["key_policy"])}
    accounts = {KEY_ACCOUNT: {"id": KEY_ACCOUNT, "keys": [key]}}
    holder = accounts.setdefault(account_id, {"id": account_id})
    if caller["kind"] == "IAMUser":
        holder["users"] = [entity]
    else:
        entity["trust_policy"] = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}]}
        holder["roles"] = [entity]
    return {"version": 1, "accounts": list(accounts.values())}


def _principal(case) -> Principal:
    caller = _caller_spec(case)
    if caller["kind"] == "IAMUser":
        return Principal.for_user(IamUser.objects.get(account_id=caller["account"], name=caller["username"]))
    role = IamRole.objects.get(account_id=caller["account"], name=caller["role_arn"].rsplit("/", 1)[1])
    session = RoleSession.objects.create(role=role, session_name=caller["arn"].rsplit("/", 1)[1],
                                         source_arn=f"arn:aws:iam::{caller['account']}:root",
                                         expires_at=timezone.now() + timedelta(hours=1))
    return Principal.for_session(session)


def _request_facts(case) -> tuple[dict, dict]:
    """(the KMS request's members, the condition keys it carries that the simulator must be told)."""
    request = case["request"]
    action = request["action"]
    operation, members, _ = CALLS[action]
    members = {"KeyId": KEY_ARN, **members}
    context = {"aws:SourceIp": SOURCE_IP, "aws:SecureTransport": "false", **request.get("context", {})}
    for key, member in _CONTEXT_MEMBERS.items():
        if key in context:
            members[member] = int(float(context[key]))  # an integer member on the wire
    # KMS puts the member (or its default) in the request context of these operations.
    if operation == "ScheduleKeyDeletion":
        context["kms:ScheduleKeyDeletionPendingWindowInDays"] = members["PendingWindowInDays"]
    if operation == "EnableKeyRotation":
        context["kms:RotationPeriodInDays"] = members.get("RotationPeriodInDays", 365)
    if action in _GRANT_MANAGEMENT:
        context["kms:GrantIsForAWSResource"] = "false"
    if action == "kms:CreateGrant":
        members["GranteePrincipal"] = _caller_spec(case)["arn"]
    if action == "kms:PutKeyPolicy":
        members["Policy"] = json.dumps(_document(case["key_policy"]))
    encryption_context = request.get("encryption_context")
    if encryption_context is not None and operation in ("Encrypt", "Decrypt", "GenerateDataKey",
                                                        "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair"):
        members["EncryptionContext"] = encryption_context
        context["kms:EncryptionContextKeys"] = sorted(encryption_context)
        for name, value in encryption_context.items():
            context[f"kms:EncryptionContext:{name}"] = value
    return members, context


def _real_call_allowed(case, principal: Principal, members: dict, source_ip: str) -> bool:
    operation = CALLS[case["request"]["action"]][0]
    call = Call(principal=principal, region=KEY_REGION, service="kms", operation=operation, params=members,
                source_ip=source_ip)
    try:
        execute(call)
    except errors.AccessDeniedException:
        return False
    except errors.AwsError:
        pass  # refused after its authorisation (a blob that is no ciphertext, a key in the wrong state...)
    assert call.decisions, f"{operation} stopped before it was authorised"
    return all(decision.allowed for decision in call.decisions)


def _simulated_decision(case, context: dict) -> str:
    caller = _caller_spec(case)
    params = {
        "PolicySourceArn": caller["arn"] if caller["kind"] == "IAMUser" else caller["role_arn"],
        "ActionNames": [case["request"]["action"]],
        "ResourceArns": [KEY_ARN],
        "ResourcePolicy": json.dumps(_document(case["key_policy"]), indent=2),
        "ContextEntries": [{"ContextKeyName": key,
                            "ContextKeyValues": [str(v) for v in value] if isinstance(value, list) else [str(value)],
                            "ContextKeyType": "stringList" if isinstance(value, list) else "string"}
                           for key, value in context.items()],
    }
    if caller["kind"] == "AssumedRole":
        params["CallerArn"] = caller["arn"]
    call = Call(principal=Principal.root(Account.objects.get(pk=caller["account"])), region="us-east-1",
                service="iam", operation="SimulatePrincipalPolicy", params=params)
    (result,) = execute(call)["EvaluationResults"]
    return result["EvalDecision"]


@pytest.mark.parametrize("case", COMPARED, ids=[case["name"] for case in COMPARED])
def test_simulator_agrees_with_the_real_call(case, db, load_scenario):
    load_scenario(_world(case))
    members, context = _request_facts(case)
    allowed = _real_call_allowed(case, _principal(case), members, context["aws:SourceIp"])
    decision = _simulated_decision(case, context)
    assert (decision == "allowed") == allowed, f"real call {'allowed' if allowed else 'refused'}, simulator {decision}"


SKIPPED = [(case["name"], skip_reason(case)) for case in CASES if skip_reason(case) is not None
           and case.get("kind", "key") == "key" and _caller_spec(case)["kind"] != "Root"]


@pytest.mark.parametrize("name, reason", SKIPPED, ids=[name for name, _ in SKIPPED])
def test_case_not_expressible_as_a_real_call(name, reason):
    pytest.skip(reason)
