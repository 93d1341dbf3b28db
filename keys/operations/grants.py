"""Grant operations (kms.md §5): CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant,
and the grant tokens the cryptographic operations accept.

Grants take effect at once (no eventual consistency), so a grant token only has to be a valid token: it
names its grant (the grant id sealed under the master key) so that RetireGrant can find the grant by it.
Creating or deleting a grant locks the key row first, so concurrent CreateGrant calls never lose a grant
and a Name is never used twice by accident.
"""

from __future__ import annotations

import base64
import re
import secrets

from django.utils import timezone

from awsapi import errors
from awsapi.dispatch import operation
from keys import crypto
from keys.authz import authorize_account_action, authorize_key, request_context
from keys.models import Grant, Key
from keys.operations import common
from keys.resolve import deny_foreign, purge_if_due, resolve_key
from kmsconsole import sealing
from policies.engine import AccessRequest, GrantView, can_retire_grant, evaluate_key_access
from policies.grammar import parse_policy_cached

GRANTS_PER_KEY = 50_000
# "AQpA" on the wire, as real grant tokens begin.
_TOKEN_PREFIX = bytes([0x01, 0x0A, 0x40])
_GRANT_ID = re.compile(r"^[0-9a-f]{64}$")

# Operations a grant may give, by what the key can do (kms.md §5: others are a validation error).
_ALWAYS_GRANTABLE = {"CreateGrant", "RetireGrant", "DescribeKey"}
_SYMMETRIC_OPERATIONS = {
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
}
_OPERATIONS_BY_USAGE = {
    crypto.ENCRYPT_DECRYPT: {"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"},
    crypto.SIGN_VERIFY: {"Sign", "Verify", "GetPublicKey"},
    crypto.GENERATE_VERIFY_MAC: {"GenerateMac", "VerifyMac"},
    crypto.KEY_AGREEMENT: {"DeriveSharedSecret", "GetPublicKey"},
}
_CONSTRAINT_TYPES = ("EncryptionContextEquals", "EncryptionContextSubset")


# ----------------------------------------------------------------------------------------------------------
# Grant tokens
# ----------------------------------------------------------------------------------------------------------


def issue_grant_token(grant_id: str) -> str:
    """A new opaque token for the grant (a fresh one every time: sealing uses a random IV)."""
    return base64.b64encode(_TOKEN_PREFIX + sealing.seal(grant_id.encode("ascii"))).decode("ascii")


def grant_id_from_token(token: str) -> str:
    """The grant a token names; InvalidGrantTokenException when it is not a token this service issued."""
    try:
        raw = base64.b64decode(token, validate=True)
        if not raw.startswith(_TOKEN_PREFIX):
            raise ValueError("prefix")
        grant_id = sealing.unseal(raw[len(_TOKEN_PREFIX):]).decode("ascii")
        if not _GRANT_ID.match(grant_id):
            raise ValueError("grant id")
    except Exception:  # noqa: BLE001 - any failure to open the token means the same thing to the caller
        raise errors.InvalidGrantTokenException("The grant token is invalid.") from None
    return grant_id


def check_grant_tokens(call) -> None:
    """Operations that take GrantTokens refuse a token this service did not issue."""
    for token in call.params.get("GrantTokens") or ():
        grant_id_from_token(token)


# ----------------------------------------------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------------------------------------------


def _is_service_principal(name: str) -> bool:
    # Grantees and retirees are ARNs; service principals ("logs.us-east-1.amazonaws.com") are not.
    return bool(name) and not name.startswith("arn:")


def grant_list_entry(grant: Grant, key: Key) -> dict:
    entry = {
        "KeyId": key.arn,
        "GrantId": grant.grant_id,
        "Name": grant.name,
        "CreationDate": grant.created_at,
        "IssuingAccount": f"arn:aws:iam::{grant.issuing_account}:root",
        "Operations": list(grant.operations),
    }
    grantee_field = "GranteeServicePrincipal" if _is_service_principal(grant.grantee_principal) else "GranteePrincipal"
    entry[grantee_field] = grant.grantee_principal
    if grant.retiring_principal:
        retiring_field = ("RetiringServicePrincipal" if _is_service_principal(grant.retiring_principal)
                          else "RetiringPrincipal")
        entry[retiring_field] = grant.retiring_principal
    if grant.constraints:
        entry["Constraints"] = grant.constraints
    return entry


def _grant_view(grant: Grant) -> GrantView:
    return GrantView(grant_id=grant.grant_id, grantee_principal=grant.grantee_principal,
                     operations=frozenset(grant.operations), constraints=grant.constraints or None,
                     retiring_principal=grant.retiring_principal or None)


def _dry_run(call) -> None:
    if call.params.get("DryRun"):
        raise errors.DryRunOperationException("The request would have succeeded, but the DryRun option is set.")


# ----------------------------------------------------------------------------------------------------------
# CreateGrant
# ----------------------------------------------------------------------------------------------------------


def _exactly_one(params: dict, first: str, second: str, *, required: bool) -> str | None:
    a, b = params.get(first), params.get(second)
    if a and b:
        raise errors.ValidationException(f"You can specify either {first} or {second}, but not both.")
    if required and not (a or b):
        raise errors.ValidationException(f"You must specify either {first} or {second}.")
    return a or b


def _check_operations_fit_key(key: Key, operations: list[str]) -> None:
    allowed = set(_ALWAYS_GRANTABLE) | _OPERATIONS_BY_USAGE.get(key.key_usage, set())
    if key.key_spec == "SYMMETRIC_DEFAULT":
        allowed = (allowed | _SYMMETRIC_OPERATIONS) - {"GetPublicKey"}
    unfit = [op for op in operations if op not in allowed]
    if unfit:
        raise errors.ValidationException(
            f"Grant operations {', '.join(unfit)} are not valid for a KMS key with key spec {key.key_spec} "
            f"and key usage {key.key_usage}.")


def _constraint_context(constraints: dict | None) -> tuple[dict | None, str | None, dict | None]:
    """(stored constraints, kms:GrantConstraintType, the context kms:EncryptionContext:* keys see)."""
    if not constraints:
        return None, None, None
    present = {name: dict(constraints[name]) for name in _CONSTRAINT_TYPES if constraints.get(name) is not None}
    if not present:
        return None, None, None
    context = {}
    for pairs in present.values():
        context.update(pairs)
    constraint_type = next(iter(present)) if len(present) == 1 else sorted(present)
    return present, constraint_type, context


def _at_least_as_strict(child: dict | None, parent: dict | None) -> bool:
    """A grant made through a grant may not loosen its parent's encryption-context constraints."""
    if not parent:
        return True
    if not child:
        return False
    parent_equals, parent_subset = parent.get("EncryptionContextEquals"), parent.get("EncryptionContextSubset")
    child_equals, child_subset = child.get("EncryptionContextEquals"), child.get("EncryptionContextSubset")
    if parent_equals is not None:
        return child_equals == parent_equals
    required = dict(child_equals or child_subset or {})
    return all(required.get(k) == v for k, v in parent_subset.items())


def _allowed_without_grants(call, key: Key, action: str, extra: dict, encryption_context: dict | None) -> bool:
    """Whether the key policy and IAM alone allow the call (the same inputs keys.authz gives the engine)."""
    principal = call.principal
    request = AccessRequest(
        caller=principal.caller(), action=action, resource_arn=key.arn, resource_account=key.account_id,
        region=call.region, context=request_context(call, key, action, extra, encryption_context),
        encryption_context=encryption_context,
    )
    return evaluate_key_access(
        request, key_policy=parse_policy_cached(key.policy), key_account=key.account_id, key_region=key.region,
        identity_policies=principal.identity_policies(), session_policy=principal.session_policy(), grants=(),
        caller_region_enabled=principal.account.region_enabled(key.region),
    ).allowed


def _check_child_grant(call, key: Key, decision, operations: list[str], constraints: dict | None,
                       extra: dict, encryption_context: dict | None) -> None:
    """A grantee creating grants through a CreateGrant grant can pass on the same or fewer operations,
    under constraints at least as strict (kms.md §5)."""
    parent_ids = [r.source.split(":", 1)[1] for r in decision.reasons if r.source.startswith("grant:")]
    if not parent_ids or _allowed_without_grants(call, key, "kms:CreateGrant", extra, encryption_context):
        return
    parents = Grant.objects.filter(key=key, grant_id__in=parent_ids)
    if any(set(operations) <= set(p.operations) and _at_least_as_strict(constraints, p.constraints)
           for p in parents):
        return
    raise errors.AccessDeniedException(
        f"User: {call.principal.arn} is not authorized to perform: kms:CreateGrant on resource: {key.arn} "
        "because the grant it holds does not allow these grant operations or constraints")


@operation("kms", "CreateGrant")
def create_grant(call):
    params = call.params
    key = resolve_key(call, params["KeyId"], action="kms:CreateGrant", aliases=False, for_update=True)
    grantee = _exactly_one(params, "GranteePrincipal", "GranteeServicePrincipal", required=True)
    retiring = _exactly_one(params, "RetiringPrincipal", "RetiringServicePrincipal", required=False) or ""
    operations = list(dict.fromkeys(params["Operations"]))
    if not operations:
        raise errors.ValidationException(
            "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1")
    constraints, constraint_type, constraint_context = _constraint_context(params.get("Constraints"))
    check_grant_tokens(call)

    extra = {"kms:GrantOperations": operations, "kms:GranteePrincipal": grantee}
    if retiring:
        extra["kms:RetiringPrincipal"] = retiring
    if constraint_type:
        extra["kms:GrantConstraintType"] = constraint_type
    decision = authorize_key(call, key, "kms:CreateGrant", extra_context=extra,
                             encryption_context=constraint_context)
    common.require_state(key, "CreateGrant")
    _check_operations_fit_key(key, operations)
    if constraints and key.key_spec != "SYMMETRIC_DEFAULT":
        raise errors.ValidationException(
            "Encryption context grant constraints are supported only on symmetric encryption KMS keys.")
    _check_child_grant(call, key, decision, operations, constraints, extra, constraint_context)
    _dry_run(call)

    name = params.get("Name") or ""
    grant = _existing_named_grant(key, name, grantee, retiring, operations, constraints) if name else None
    if grant is None:
        if Grant.objects.filter(key=key).count() >= GRANTS_PER_KEY:
            raise errors.LimitExceededException(f"The grant limit has been reached for the given keyId: {key.arn}")
        grant = Grant.objects.create(
            grant_id=secrets.token_hex(32), key=key, name=name, grantee_principal=grantee,
            retiring_principal=retiring, operations=operations, constraints=constraints,
            issuing_account=call.principal.account_id, created_at=timezone.now(),
        )
    call.response_elements = {"grantId": grant.grant_id}
    return {"GrantToken": issue_grant_token(grant.grant_id), "GrantId": grant.grant_id}


def _existing_named_grant(key, name, grantee, retiring, operations, constraints) -> Grant | None:
    """Name makes CreateGrant idempotent: the same name and parameters give back the same grant."""
    for grant in Grant.objects.filter(key=key, name=name):
        if (grant.grantee_principal == grantee and grant.retiring_principal == retiring
                and set(grant.operations) == set(operations) and (grant.constraints or None) == constraints):
            return grant
    return None


# ----------------------------------------------------------------------------------------------------------
# ListGrants / ListRetirableGrants
# ----------------------------------------------------------------------------------------------------------


@operation("kms", "ListGrants", read_only=True)
def list_grants(call):
    params = call.params
    key = resolve_key(call, params["KeyId"], action="kms:ListGrants", aliases=False)
    authorize_key(call, key, "kms:ListGrants")
    common.require_state(key, "ListGrants")
    grants = Grant.objects.filter(key=key).order_by("created_at", "grant_id")
    grant_id = params.get("GrantId")
    if grant_id:
        if not grants.filter(grant_id=grant_id).exists():
            raise errors.InvalidGrantIdException("Grant ID not found")
        grants = grants.filter(grant_id=grant_id)
    grantee = params.get("GranteePrincipal") or params.get("GranteeServicePrincipal")
    if grantee:
        grants = grants.filter(grantee_principal=grantee)
    page, more = common.paginate(grants, params, default_limit=50)
    return {"Grants": [grant_list_entry(g, key) for g in page], **more}


_PRINCIPAL_ACCOUNT = re.compile(r"^arn:[a-z-]+:(?:iam|sts)::([0-9]{12}):")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def _principal_account(principal: str) -> str | None:
    """The account of a principal ARN or account id ("" when an ARN names none); None for a service."""
    if _ACCOUNT_ID.match(principal):
        return principal
    if _is_service_principal(principal):
        return None
    match = _PRINCIPAL_ACCOUNT.match(principal)
    return match.group(1) if match else ""


@operation("kms", "ListRetirableGrants", read_only=True)
def list_retirable_grants(call):
    params = call.params
    retiring = _exactly_one(params, "RetiringPrincipal", "RetiringServicePrincipal", required=True)
    # The authorised resource is the retiring principal, which must be in the caller's own account (AWS's
    # "Cross-account use"): no identity policy reaches a principal of another account.
    if _principal_account(retiring) not in (None, call.principal.account_id):
        raise errors.AccessDeniedException(
            f"User: {call.principal.arn} is not authorized to perform: kms:ListRetirableGrants on resource: "
            f"{retiring} because no resource-based policy allows the kms:ListRetirableGrants action")
    authorize_account_action(call, "kms:ListRetirableGrants", retiring if retiring.startswith("arn:") else "*")
    grants = (Grant.objects.filter(retiring_principal=retiring, key__region=call.region)
              .select_related("key").order_by("created_at", "grant_id"))
    page, more = common.paginate(grants, params, default_limit=50)
    return {"Grants": [grant_list_entry(g, g.key) for g in page], **more}


# ----------------------------------------------------------------------------------------------------------
# RetireGrant / RevokeGrant
# ----------------------------------------------------------------------------------------------------------


def _check_grant_id(grant_id: str) -> None:
    if not _GRANT_ID.match(grant_id):
        raise errors.InvalidGrantIdException(f"Invalid grant ID {grant_id}")


def _grant_on_key(key: Key, grant_id: str) -> Grant:
    grant = Grant.objects.filter(key=key, grant_id=grant_id).first()
    if grant is None:
        raise errors.NotFoundException(f"Grant ID {grant_id} not found")
    return grant


def _deny_foreign_retirement(call, key: Key):
    """Another account's key: a grant that is not there, or not the caller's to retire, is answered exactly
    as a key that does not exist (keys/resolve.py), so neither the key nor its grant ids show."""
    deny_foreign(call, "kms:RetireGrant", key.arn, key.account_id)


@operation("kms", "RetireGrant")
def retire_grant(call):
    params = call.params
    token, key_id, grant_id = params.get("GrantToken"), params.get("KeyId"), params.get("GrantId")
    if token:
        grant_id = grant_id_from_token(token)
        grant = Grant.objects.select_related("key").filter(grant_id=grant_id).first()
        if grant is None or (params.get("GrantId") and params["GrantId"] != grant_id):
            raise errors.InvalidGrantTokenException("The grant token is invalid.")
        key = Key.objects.select_for_update().select_related("account").get(pk=grant.key_id)
        if purge_if_due(key, call):  # a key past its deletion date took its grants with it
            raise errors.InvalidGrantTokenException("The grant token is invalid.")
        if key_id:
            named = resolve_key(call, key_id, action="kms:RetireGrant", aliases=False)
            if named.pk != key.pk:
                raise errors.InvalidGrantTokenException("The grant token is invalid.")
    elif key_id and grant_id:
        key = resolve_key(call, key_id, action="kms:RetireGrant", aliases=False, for_update=True)
        grant = Grant.objects.filter(key=key, grant_id=grant_id).first() if _GRANT_ID.match(grant_id) else None
        if grant is None:
            if key.account_id != call.principal.account_id:
                _deny_foreign_retirement(call, key)
            call.add_resource(key.arn, key.account_id)
            _check_grant_id(grant_id)
            raise errors.NotFoundException(f"Grant ID {grant_id} not found")
    else:
        raise errors.ValidationException("Either GrantToken or both KeyId and GrantId are required.")

    caller = call.principal.caller()
    if not can_retire_grant(caller, _grant_view(grant), issuing_account=grant.issuing_account,
                            identity_policies=call.principal.identity_policies(),
                            session_policy=call.principal.session_policy(), key_arn=key.arn):
        if key.account_id != call.principal.account_id:
            _deny_foreign_retirement(call, key)
        call.add_resource(key.arn, key.account_id)
        raise errors.AccessDeniedException(
            f"User: {call.principal.arn} is not authorized to perform: kms:RetireGrant on resource: {key.arn} "
            "because the grant names it neither as retiring principal nor as a grantee allowed to retire it")
    # Only now may the key owner's trail hear of the call (a denied one is the caller's alone).
    call.add_resource(key.arn, key.account_id)
    common.require_state(key, "RetireGrant")
    _dry_run(call)
    call.response_elements = None
    grant.delete()
    return {}


@operation("kms", "RevokeGrant")
def revoke_grant(call):
    params = call.params
    key = resolve_key(call, params["KeyId"], action="kms:RevokeGrant", aliases=False, for_update=True)
    authorize_key(call, key, "kms:RevokeGrant")
    common.require_state(key, "RevokeGrant")
    _check_grant_id(params["GrantId"])
    grant = _grant_on_key(key, params["GrantId"])
    _dry_run(call)
    grant.delete()
    return {}

