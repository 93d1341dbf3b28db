"""IAM Access Analyzer's policy checks on the AWS endpoint (service `accessanalyzer`, restJson1).

ValidatePolicy answers policies/validator.py's findings; CheckNoNewAccess, CheckAccessNotGranted and
CheckNoPublicAccess are answered by analyzer/checks.py with the policy engine. Each is authorised by the
caller's own IAM policies (`access-analyzer:<Operation>` on `*`, as AWS's service authorization reference
lists these actions with no resource type) and recorded like every call.
"""

from __future__ import annotations

import base64
import binascii

from accounts.authz import authorize_identity_action
from analyzer import checks, findings
from awsapi import shapes
from awsapi.dispatch import operation
from awsapi.rest_json_protocol import InvalidParameterException, ValidationException
from policies.grammar import IDENTITY_POLICY, KEY_POLICY, TRUST_POLICY, Policy, PolicyParseError, parse_policy
from policies.validator import validate_policy as run_validator

SERVICE = "accessanalyzer"
# Not in botocore's enum for validatePolicyResourceType (AWS validates a KMS key policy as a generic
# RESOURCE_POLICY); accepted here as well, since every resource policy of this product is a key policy.
KMS_KEY_TYPE = "AWS::KMS::Key"
TRUST_TYPE = "AWS::IAM::AssumeRolePolicyDocument"
_PASS, _FAIL = "PASS", "FAIL"


def _authorize(call) -> None:
    authorize_identity_action(call, f"access-analyzer:{call.operation}", "*")


def _validator_type(policy_type: str, resource_type: str | None) -> str:
    if policy_type == "IDENTITY_POLICY":
        return IDENTITY_POLICY
    if policy_type == "RESOURCE_POLICY":
        if resource_type in (None, KMS_KEY_TYPE):
            return KEY_POLICY
        if resource_type == TRUST_TYPE:
            return TRUST_POLICY
        raise ValidationException(
            f"validatePolicyResourceType {resource_type} is not supported here: this installation emulates KMS, "
            f"so it validates KMS key policies ({KMS_KEY_TYPE}, or no type) and role trust policies ({TRUST_TYPE}).",
            reason="notSupported", fields=[{"name": "validatePolicyResourceType", "message": "not supported"}])
    raise ValidationException(
        f"policyType {policy_type} is not supported here: this installation has no AWS Organizations, so it has "
        "no service or resource control policies.", reason="notSupported",
        fields=[{"name": "policyType", "message": "not supported"}])


def _page(items: list, call) -> tuple[list, str | None]:
    start = 0
    token = call.params.get("nextToken")
    if token is not None:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationException("Invalid nextToken.", fields=[{"name": "nextToken", "message": "invalid"}]) \
                from None
        if not 0 <= start <= len(items):
            raise ValidationException("Invalid nextToken.", fields=[{"name": "nextToken", "message": "invalid"}])
    limit = call.params.get("maxResults") or len(items) or 1
    page = items[start:start + limit]
    following = start + limit
    return page, (base64.urlsafe_b64encode(str(following).encode()).decode() if following < len(items) else None)


@operation(SERVICE, "ValidatePolicy", read_only=True, validate=False)
def validate_policy(call) -> dict:
    resource_type = call.params.get("validatePolicyResourceType")
    # Checked against the model without our one extension to its enum.
    shapes.validate_input(SERVICE, call.operation, {k: v for k, v in call.params.items()
                                                    if not (k == "validatePolicyResourceType" and v == KMS_KEY_TYPE)})
    _authorize(call)
    policy_type = _validator_type(call.params["policyType"], resource_type)
    text = call.params["policyDocument"]
    account = call.principal.account_id
    found = run_validator(text, policy_type,
                          key_account=account if policy_type == KEY_POLICY else None,
                          policy_account=account if policy_type == IDENTITY_POLICY else None)
    page, next_token = _page(found, call)
    result = {"findings": [findings.to_shape(finding, text) for finding in page]}
    if next_token:
        result["nextToken"] = next_token
    return result


def _parsed(text: str, member: str, resource_policy: bool) -> Policy:
    try:
        return parse_policy(text, None if resource_policy else IDENTITY_POLICY)
    except PolicyParseError as error:
        raise InvalidParameterException(f"Invalid {member}: {error.findings[0].message}") from None


def _is_resource_policy(call) -> bool:
    return call.params["policyType"] == "RESOURCE_POLICY"


def _result(reasons: list, fail_message: str, pass_message: str) -> dict:
    if reasons:
        return {"result": _FAIL, "message": fail_message, "reasons": [r.to_shape() for r in reasons]}
    return {"result": _PASS, "message": pass_message, "reasons": []}


@operation(SERVICE, "CheckNoNewAccess", read_only=True)
def check_no_new_access(call) -> dict:
    _authorize(call)
    resource_policy = _is_resource_policy(call)
    new = _parsed(call.params["newPolicyDocument"], "newPolicyDocument", resource_policy)
    existing = _parsed(call.params["existingPolicyDocument"], "existingPolicyDocument", resource_policy)
    reasons = checks.check_no_new_access(new, existing, resource_policy=resource_policy)
    return _result(reasons, "The updated policy grants access that the existing policy does not.",
                   "The updated policy grants no access that the existing policy does not.")


@operation(SERVICE, "CheckAccessNotGranted", read_only=True)
def check_access_not_granted(call) -> dict:
    _authorize(call)
    resource_policy = _is_resource_policy(call)
    policy = _parsed(call.params["policyDocument"], "policyDocument", resource_policy)
    reasons = []
    for position, access in enumerate(call.params["access"]):
        actions, resources = access.get("actions") or [], access.get("resources") or []
        if not actions and not resources:
            raise ValidationException("Each access entry needs actions, resources or both.",
                                      fields=[{"name": f"access[{position}]", "message": "empty"}])
        for action in actions:
            if ":" not in action or action.startswith(":") or action.endswith(":"):
                raise InvalidParameterException(f"Invalid action {action}: write actions as service:Action.")
        reasons += checks.check_access_not_granted(policy, actions, resources, resource_policy=resource_policy)
    unique = list({reason.statement_index: reason for reason in reasons}.values())
    return _result(unique, "The policy grants one or more of the listed actions or resources.",
                   "The policy grants none of the listed actions or resources.")


@operation(SERVICE, "CheckNoPublicAccess", read_only=True)
def check_no_public_access(call) -> dict:
    _authorize(call)
    policy = _parsed(call.params["policyDocument"], "policyDocument", resource_policy=True)
    reasons = checks.check_no_public_access(policy)
    resource_type = call.params["resourceType"]
    return _result(reasons, f"The resource policy grants public access for the resource type {resource_type}.",
                   f"The resource policy does not grant public access for the resource type {resource_type}.")
