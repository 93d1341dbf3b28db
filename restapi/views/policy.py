"""A key's policy (with the validator's findings), its history, the console's "Other AWS accounts", and
policy validation."""

from __future__ import annotations

import json

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from awsapi import errors
from keys import policy_editing
from keys.models import Key, KeyPolicyVersion
from keys.operations.management import principal_exists
from keys.store import aws_policy_text
from policies.grammar import POLICY_TYPES
from policies.validator import validate_policy
from restapi import wire
from restapi.base import (KEY_PARAMETER, ApiView, OperationFilterSet, body, body_members, call_for, execute_call,
                          limit_filter, page, page_schema, path_parameter, responses, run)

SEVERITY_ORDER = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}
FINDING_SCHEMA = {"type": "object", "required": ["severity", "code", "path", "message"], "properties": {
    "severity": {"type": "string", "enum": list(SEVERITY_ORDER)},
    "code": {"type": "string"}, "path": {"type": "string"}, "message": {"type": "string"}}}
POLICY_SCHEMA = {"type": "object", "required": ["Policy", "PolicyName"], "properties": {
    "Policy": {"type": "string", "description": "The key policy document (JSON text)."},
    "PolicyName": {"type": "string"}}}
SAVED_POLICY_SCHEMA = {"type": "object", "required": ["Policy", "findings"], "properties": {
    "Policy": {"type": "string"}, "findings": {"type": "array", "items": FINDING_SCHEMA}}}


def findings_of(text, policy_type: str, *, key_account: str | None = None,
                check_principals: bool = True) -> list[dict]:
    """The validator's findings, most severe first. check_principals: say which named principals do not exist
    (only for a key the caller may put a policy on, where KMS itself would say so)."""
    found = validate_policy(text, policy_type, key_account=key_account,
                            principal_exists=principal_exists if check_principals else None)
    found = sorted(found, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.path))
    return [{"severity": f.severity, "code": f.code, "path": f.path, "message": f.message} for f in found]


def _key_of(call) -> Key:
    """The key an operation just authorised the caller on (the call lists it among its resources)."""
    return Key.objects.get(arn=call.resources[0].arn)


class KeyPolicy(ApiView):
    @extend_schema(operation_id="keys_policy_retrieve", summary="The key policy (GetKeyPolicy)",
                   parameters=[KEY_PARAMETER], responses=responses(POLICY_SCHEMA))
    def get(self, request, key):
        result, _ = run(request, "kms", "GetKeyPolicy", KeyId=key, PolicyName="default")
        return Response(wire.encode_output("kms", "GetKeyPolicy", result, ("Policy", "PolicyName")))

    @extend_schema(operation_id="keys_policy_replace", summary="Replace the key policy (PutKeyPolicy); the "
                   "answer, or the 400 refusing it, carries the validator's findings",
                   parameters=[KEY_PARAMETER], request=body(wire.input_schema("kms", "PutKeyPolicy",
                                                                         drop=("KeyId", "PolicyName"))),
                   responses=responses(SAVED_POLICY_SCHEMA))
    def put(self, request, key):
        members = body_members(request)
        call = call_for(request, "kms", "PutKeyPolicy", KeyId=key, PolicyName="default")
        try:
            execute_call(call, members)
        except errors.MalformedPolicyDocumentException as refused:
            # Refused after the caller was authorised to put a policy on this key: say everything wrong with it.
            text = members.get("Policy")
            found = findings_of(text, "KEY_POLICY", key_account=call.resources[0].account_id) \
                if isinstance(text, str) and call.resources else []
            refused.findings = found  # the problem details carry them (restapi.problems)
            raise
        return Response({"Policy": members["Policy"],
                         "findings": findings_of(members["Policy"], "KEY_POLICY",
                                                 key_account=call.resources[0].account_id)})


VERSION_SCHEMA = {"type": "object", "required": ["version", "changed_by", "changed_at", "Policy"], "properties": {
    "version": {"type": "integer"}, "changed_by": {"type": "string"},
    "changed_at": {"type": "string", "format": "date-time"}, "Policy": {"type": "string"}}}


class VersionFilter(OperationFilterSet):
    limit = limit_filter(100, 20)

    class Meta:
        model = KeyPolicyVersion
        fields = []


class KeyPolicyVersions(ApiView):
    @extend_schema(operation_id="keys_policy_versions_list", summary="Every policy the key has had, newest "
                   "first (the key's account only; authorised as GetKeyPolicy)",
                   parameters=[KEY_PARAMETER, *VersionFilter.parameters()],
                   responses=responses(page_schema(VERSION_SCHEMA)))
    def get(self, request, key):
        query = VersionFilter.read(request)
        _, call = run(request, "kms", "GetKeyPolicy", KeyId=key, PolicyName="default")
        resource = call.resources[0]
        if resource.account_id != request.user.principal.account_id:
            # KMS has no API for a policy's history: only the key's own account sees it, as in the console.
            raise errors.AccessDeniedException("Only principals of the key's account can see its policy history.")
        rows = KeyPolicyVersion.objects.filter(key__arn=resource.arn).order_by("-version")
        cursor = query["cursor"]
        if cursor:
            if not cursor.isdigit():
                raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]})
            rows = rows.filter(version__lt=int(cursor))
        limit = query["limit"] or 20
        versions = list(rows[:limit + 1])
        more = len(versions) > limit
        versions = versions[:limit]
        results = [{"version": v.version, "changed_by": v.changed_by, "Policy": v.document,
                    "changed_at": wire.encode(wire.shape("kms", "DateType"), v.changed_at)} for v in versions]
        return Response(page(request, results, str(versions[-1].version) if more else None))


# ---- "Other AWS accounts" ----

ACCOUNTS_SCHEMA = {"type": "object", "required": ["accounts", "default_view"], "properties": {
    "accounts": {"type": "array", "items": {"type": "string"},
                 "description": "Accounts the console's default view lists under \"Other AWS accounts\"."},
    "default_view": {"type": "boolean",
                     "description": "false when the policy is not in the console's shape (accounts then empty)."}}}
ACCOUNT_BODY = {"type": "object", "required": ["AccountId"], "properties": {
    "AccountId": {"type": "string", "description": "A 12-digit AWS account id."}}}


def _other_accounts(policy_text: str) -> dict:
    view = policy_editing.default_view(json.loads(policy_text))
    return {"accounts": view.external_accounts if view else [], "default_view": view is not None}


def _change_policy(request, key: str, change) -> dict:
    """GetKeyPolicy, change the document as the console does, PutKeyPolicy (validator + lockout check)."""
    metadata = run(request, "kms", "DescribeKey", KeyId=key)[0]["KeyMetadata"]
    current = run(request, "kms", "GetKeyPolicy", KeyId=key, PolicyName="default")[0]["Policy"]
    document = change(json.loads(current), metadata)
    if document == json.loads(current):
        return _other_accounts(current)  # already so: no new policy version
    text = aws_policy_text(document)
    run(request, "kms", "PutKeyPolicy", KeyId=key, PolicyName="default", Policy=text)
    return _other_accounts(text)


class KeyAccounts(ApiView):
    @extend_schema(operation_id="keys_accounts_list", summary="Other AWS accounts that may use the key "
                   "(from GetKeyPolicy)", parameters=[KEY_PARAMETER], responses=responses(ACCOUNTS_SCHEMA))
    def get(self, request, key):
        result, _ = run(request, "kms", "GetKeyPolicy", KeyId=key, PolicyName="default")
        return Response(_other_accounts(result["Policy"]))

    @extend_schema(operation_id="keys_accounts_add", summary="Let another account use the key (the console's "
                   "\"Other AWS accounts\" → Add: PutKeyPolicy)", parameters=[KEY_PARAMETER],
                   request=body(ACCOUNT_BODY), responses=responses(ACCOUNTS_SCHEMA))
    def post(self, request, key):
        account_id = body_members(request).get("AccountId")
        if not isinstance(account_id, str) or not policy_editing.is_account_id(account_id):
            raise errors.ValidationException("AccountId must be a 12-digit AWS account id.", field="AccountId")
        return Response(_change_policy(request, key, lambda document, meta: (
            policy_editing.insert_external_account_statements(document, account_id, meta["KeySpec"],
                                                              meta["KeyUsage"]))))


class KeyAccount(ApiView):
    @extend_schema(operation_id="keys_accounts_remove", summary="Stop another account from using the key "
                   "(PutKeyPolicy)",
                   parameters=[KEY_PARAMETER, path_parameter("account_id", "A 12-digit AWS account id.")],
                   responses=responses(ACCOUNTS_SCHEMA))
    def delete(self, request, key, account_id):
        if not policy_editing.is_account_id(account_id):
            raise errors.ValidationException("account_id must be a 12-digit AWS account id.", field="account_id")
        return Response(_change_policy(request, key, lambda document, meta: (
            policy_editing.remove_external_account(document, account_id))))


# ---- validation ----

VALIDATE_BODY = {"type": "object", "required": ["policy_document", "policy_type"], "properties": {
    "policy_document": {"description": "The policy: JSON text or a JSON object.",
                        "oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": True}]},
    "policy_type": {"type": "string", "enum": list(POLICY_TYPES)},
    "key_account": {"type": "string", "description": "For a key policy: the key's account (12 digits)."}}}


class ValidatePolicy(ApiView):
    @extend_schema(operation_id="policies_validate", summary="Every finding of the policy validator at once "
                   "(changes nothing, reads no one's policies)", request=body(VALIDATE_BODY),
                   responses=responses({"type": "object", "required": ["findings"], "properties": {
                       "findings": {"type": "array", "items": FINDING_SCHEMA}}}))
    def post(self, request):
        members = body_members(request)
        document, policy_type = members.get("policy_document"), members.get("policy_type")
        if not isinstance(document, (str, dict)):
            raise errors.ValidationException("policy_document must be JSON text or an object.",
                                             field="policy_document")
        if policy_type not in POLICY_TYPES:
            raise errors.ValidationException(f"policy_type must be one of {', '.join(POLICY_TYPES)}.",
                                             field="policy_type")
        key_account = members.get("key_account")
        if key_account is not None and not (isinstance(key_account, str)
                                            and policy_editing.is_account_id(key_account)):
            raise errors.ValidationException("key_account must be a 12-digit AWS account id.", field="key_account")
        # No principal lookups: whether an ARN exists in some account is not for anyone to probe.
        return Response({"findings": findings_of(document, policy_type, key_account=key_account,
                                                  check_principals=False)})

