"""Key management operations of the KMS API: create and describe keys, key states and deletion, key
policies, tags and rotation; plus the operations this emulator answers with UnsupportedOperationException.

Each operation follows kms.md §11.1: validate the request, resolve the key, authorise (keys.authz), check
the key state (common.require_state), then act. Cross-account use of the own-account operations is refused
by the policy engine itself (kms.md §2.1), whatever the policies say.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.utils import timezone

from accounts.models import Account, IamRole, IamUser
from awsapi import errors
from awsapi.dispatch import operation
from keys import crypto, store
from keys.authz import authorize_account_action, authorize_key
from keys.models import Key, KeyTag, new_key_id
from keys.operations.common import key_metadata, paginate, record_elements, require_state
from keys.resolve import resolve_key
from policies import validator
from policies.engine import check_lockout
from policies.grammar import parse_policy

KEY_POLICY_MAX_BYTES = 32768
MAX_TAGS_PER_KEY = 50
MAX_ON_DEMAND_ROTATIONS = 25  # the current quota table (kms.md §4.9; 10 in older docs)
DEFAULT_POLICY_NAME = "default"
# The key specs AWS lets you import material into (SM2 too, in the China Regions only).
IMPORTABLE_KEY_SPECS = frozenset({
    "SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
    "ECC_SECG_P256K1", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512",
})
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."


# ----------------------------------------------------------------------------------------------------------
# Shared steps
# ----------------------------------------------------------------------------------------------------------


def _target_key(call, action: str, *, aliases: bool = False, for_update: bool = False,
                extra_context: dict | None = None) -> Key:
    """Resolve call.params["KeyId"], authorise `action` on it and check the state allows the operation."""
    key = resolve_key(call, call.params["KeyId"], action=action, aliases=aliases, for_update=for_update)
    authorize_key(call, key, action, extra_context=extra_context)
    require_state(key, call.operation)
    return key


def _refuse_replica_rotation(key: Key):
    if key.multi_region and not key.is_primary:
        raise errors.UnsupportedOperationException(
            f"{key.arn} is a replica key: its rotation is the primary key's, in {key.primary_region}.")


def _require_rotation_support(key: Key, *, on_demand: bool = False):
    """Automatic rotation exists only for symmetric encryption keys whose material KMS generated (kms.md §6.5);
    on-demand rotation (and its history) also for symmetric keys with imported material."""
    allowed_origins = ("AWS_KMS", "EXTERNAL") if on_demand else ("AWS_KMS",)
    if key.origin not in allowed_origins:
        raise errors.UnsupportedOperationException(
            f"{key.arn} origin is {key.origin} which is not valid for this operation.")
    if key.key_spec != "SYMMETRIC_DEFAULT":
        # AWS's RotateKeyOnDemand answers this one with no message at all.
        raise errors.UnsupportedOperationException(
            "" if on_demand else f"{key.arn} key spec is {key.key_spec} which is not valid for this operation.")


# ----------------------------------------------------------------------------------------------------------
# Key policy checks (kms.md §4.8)
# ----------------------------------------------------------------------------------------------------------

_ROOT = re.compile(r"^arn:aws:iam::(\d{12}):root$")
_USER_OR_ROLE = re.compile(r"^arn:aws:iam::(\d{12}):(user|role)(/(?:[^/]+/)*)([^/]+)$")
_SESSION = re.compile(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")
_UNIQUE_ID = re.compile(r"^(AIDA|AROA)[A-Z0-9]+$")


def principal_exists(arn: str) -> bool:
    """Whether a principal named in a key policy exists here: account roots, IAM users and roles, and the
    sessions of existing roles."""
    if match := _ROOT.match(arn):
        return Account.objects.filter(pk=match.group(1)).exists()
    if match := _USER_OR_ROLE.match(arn):
        account_id, kind, path, name = match.groups()
        model = IamUser if kind == "user" else IamRole
        return model.objects.filter(account_id=account_id, path=path, name=name).exists()
    if match := _SESSION.match(arn):
        return IamRole.objects.filter(account_id=match.group(1), name=match.group(2)).exists()
    if _UNIQUE_ID.match(arn):
        model = IamUser if arn.startswith("AIDA") else IamRole
        return model.objects.filter(unique_id=arn).exists()
    return False


# Findings that do not stop KMS from storing a policy: it accepts any action name (a typo simply never
# matches) and statements that lack Action or Resource (they never apply).
_ACCEPTED_BY_KMS = {"UNKNOWN_ACTION"}


def check_key_policy(call, policy_text: str, *, key_account: str, key_arn: str, bypass_lockout: bool):
    """Raise what KMS raises for a policy it would not store; otherwise return quietly."""
    if len(policy_text.encode("utf-8")) > KEY_POLICY_MAX_BYTES:
        raise errors.LimitExceededException(
            f"The key policy exceeds the maximum size of {KEY_POLICY_MAX_BYTES} bytes.")
    findings = validator.validate_policy(policy_text, "KEY_POLICY", key_account=key_account,
                                         principal_exists=principal_exists)
    problems = [f for f in findings if f.severity == "ERROR" and f.code not in _ACCEPTED_BY_KMS]
    for code, message in (("MISSING_PRINCIPAL", validator.NO_PRINCIPAL_MESSAGE),
                          ("INVALID_PRINCIPAL", validator.INVALID_PRINCIPALS_MESSAGE)):
        if any(f.code == code for f in problems):
            raise errors.MalformedPolicyDocumentException(message, field="Policy")
    if problems:
        raise errors.MalformedPolicyDocumentException(problems[0].message, field="Policy")
    if bypass_lockout:
        return
    principal = call.principal
    if not check_lockout(parse_policy(policy_text, "KEY_POLICY"), caller=principal.caller(),
                         key_account=key_account, key_arn=key_arn, region=call.region,
                         identity_policies=principal.identity_policies(),
                         session_policy=principal.session_policy()):
        raise errors.MalformedPolicyDocumentException(LOCKOUT_MESSAGE, field="Policy")


# ----------------------------------------------------------------------------------------------------------
# Tags (kms.md §6.5)
# ----------------------------------------------------------------------------------------------------------


def _check_tag_keys(tag_keys: list[str]):
    if any(name.lower().startswith("aws:") for name in tag_keys):
        raise errors.TagException("Tags beginning with aws: are reserved", field="Tags")
    if len(set(tag_keys)) != len(tag_keys):
        raise errors.TagException("Duplicate tag keys", field="Tags")


def _tag_context(tags: list[dict]) -> dict:
    context = {f"aws:RequestTag/{t['TagKey']}": t["TagValue"] for t in tags}
    context["aws:TagKeys"] = [t["TagKey"] for t in tags]
    return context


def _apply_tags(key: Key, tags: list[dict]):
    existing = set(key.tags.values_list("tag_key", flat=True))
    new_names = {t["TagKey"] for t in tags} - existing
    if len(existing) + len(new_names) > MAX_TAGS_PER_KEY:
        raise errors.TagException("Too many tags", field="Tags")
    for tag in tags:
        KeyTag.objects.update_or_create(key=key, tag_key=tag["TagKey"], defaults={"tag_value": tag["TagValue"]})


# ----------------------------------------------------------------------------------------------------------
# CreateKey, DescribeKey, ListKeys, UpdateKeyDescription
# ----------------------------------------------------------------------------------------------------------


@operation("kms", "CreateKey")
def create_key(call):
    params = call.params
    multi_region = bool(params.get("MultiRegion"))
    origin = params.get("Origin") or "AWS_KMS"
    if multi_region and origin != "AWS_KMS":
        raise errors.UnsupportedOperationException(
            "Multi-Region keys with imported key material are not supported by this emulator: create the "
            "multi-Region key with Origin AWS_KMS.")
    if origin not in ("AWS_KMS", "EXTERNAL"):
        raise errors.UnsupportedOperationException(
            f"Origin {origin} is not supported by this emulator: custom key stores need hardware it does not "
            "emulate.")
    if params.get("CustomKeyStoreId") or params.get("XksKeyId"):
        raise errors.UnsupportedOperationException("Custom key stores are not supported by this emulator.")
    if params.get("KeySpec") and params.get("CustomerMasterKeySpec"):
        raise errors.ValidationException(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec "
            "is deprecated.")
    key_spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if key_spec in crypto.UNAVAILABLE_SPECS:
        raise errors.UnsupportedOperationException(
            f"KeySpec {key_spec} is not available in this installation: {crypto.UNAVAILABLE_SPECS[key_spec]}.")
    if key_spec not in crypto.KEY_SPECS:
        raise errors.UnsupportedOperationException(f"KeySpec {key_spec} is not supported by this emulator.")
    if origin == "EXTERNAL" and key_spec not in IMPORTABLE_KEY_SPECS:
        raise errors.UnsupportedOperationException(
            f"KeySpec {key_spec} is not supported for KMS keys with imported key material (Origin EXTERNAL).")
    try:
        key_usage = crypto.resolve_key_usage(key_spec, params.get("KeyUsage"))
    except crypto.CryptoValidationError as exc:
        raise errors.ValidationException(str(exc), field="KeyUsage") from None
    tags = params.get("Tags") or []
    _check_tag_keys([t["TagKey"] for t in tags])
    if len(tags) > MAX_TAGS_PER_KEY:
        raise errors.TagException("Too many tags", field="Tags")
    bypass = bool(params.get("BypassPolicyLockoutSafetyCheck"))

    context = {"kms:KeySpec": key_spec, "kms:KeyUsage": key_usage, "kms:KeyOrigin": origin,
               "kms:MultiRegion": multi_region, "kms:BypassPolicyLockoutSafetyCheck": bypass}
    authorize_account_action(call, "kms:CreateKey", extra_context=context)
    if tags:
        authorize_account_action(call, "kms:TagResource", extra_context={**context, **_tag_context(tags)})

    account = call.principal.account
    key_id = f"mrk-{uuid.uuid4().hex}" if multi_region else new_key_id()
    key_arn = f"arn:aws:kms:{call.region}:{account.id}:key/{key_id}"
    policy_text = params.get("Policy")
    if policy_text is None:
        policy_text = store.default_key_policy(account.id)
    else:
        check_key_policy(call, policy_text, key_account=account.id, key_arn=key_arn, bypass_lockout=bypass)

    key = store.create_key(account=account, region=call.region, key_spec=key_spec, key_usage=key_usage,
                           description=params.get("Description") or "", policy_text=policy_text,
                           changed_by=call.principal.arn, key_id=key_id, origin=origin,
                           multi_region=multi_region)
    for tag in tags:
        KeyTag.objects.create(key=key, tag_key=tag["TagKey"], tag_value=tag["TagValue"])
    call.add_resource(key.arn, key.account_id)
    metadata = key_metadata(key)
    call.response_elements = {"keyMetadata": record_elements(metadata)}
    return {"KeyMetadata": metadata}


@operation("kms", "DescribeKey", read_only=True)
def describe_key(call):
    key = _target_key(call, "kms:DescribeKey", aliases=True)
    return {"KeyMetadata": key_metadata(key)}


def _purge_due_keys(account_id: str, region: str):
    # A key past its deletion date is gone (keys.resolve.purge_if_due does the same on single access).
    due = Key.objects.filter(account_id=account_id, region=region, state="PendingDeletion",
                             deletion_date__lte=timezone.now())
    multi_region = list(due.filter(multi_region=True).values_list("key_id", flat=True))
    due.delete()
    for key_id in multi_region:
        store.after_key_deleted(account_id, key_id)


@operation("kms", "ListKeys", read_only=True)
def list_keys(call):
    authorize_account_action(call, "kms:ListKeys")
    account_id = call.principal.account_id
    _purge_due_keys(account_id, call.region)
    # No AWS RAM here: ResourceOwners=OTHER_ACCOUNTS_VIA_RAM adds nothing.
    keys = Key.objects.filter(account_id=account_id, region=call.region).order_by("created_at", "key_id")
    page, more = paginate(keys.values_list("key_id", "arn"), call.params, default_limit=100)
    return {"Keys": [{"KeyId": key_id, "KeyArn": arn} for key_id, arn in page], **more}


@operation("kms", "UpdateKeyDescription")
def update_key_description(call):
    key = _target_key(call, "kms:UpdateKeyDescription", for_update=True)
    key.description = call.params["Description"]
    key.save(update_fields=["description"])
    return {}


# ----------------------------------------------------------------------------------------------------------
# Key states: EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion
# ----------------------------------------------------------------------------------------------------------


def _set_state(key: Key, state: str):
    if key.state != state:
        key.state = state
        key.save(update_fields=["state"])


@operation("kms", "EnableKey")
def enable_key(call):
    _set_state(_target_key(call, "kms:EnableKey", for_update=True), "Enabled")
    return {}


@operation("kms", "DisableKey")
def disable_key(call):
    _set_state(_target_key(call, "kms:DisableKey", for_update=True), "Disabled")
    return {}


@operation("kms", "ScheduleKeyDeletion")
def schedule_key_deletion(call):
    days = call.params.get("PendingWindowInDays")
    if days is None:
        days = 30
    if not 7 <= days <= 30:
        raise errors.ValidationException(f"PendingWindowInDays should be between 7 and 30, but it is {days}",
                                         field="PendingWindowInDays")
    key = _target_key(call, "kms:ScheduleKeyDeletion", for_update=True,
                      extra_context={"kms:ScheduleKeyDeletionPendingWindowInDays": days})
    key.pending_window_days = days
    if key.is_primary and key.related_keys().exists():
        # A primary outlives its replicas: its waiting period starts when the last one is deleted.
        key.state, key.deletion_date = "PendingReplicaDeletion", None
    else:
        key.state, key.deletion_date = "PendingDeletion", timezone.now() + dt.timedelta(days=days)
    key.save(update_fields=["state", "deletion_date", "pending_window_days"])
    result = {"KeyId": key.arn, "DeletionDate": key.deletion_date, "KeyState": key.state,
              "PendingWindowInDays": days}
    call.response_elements = record_elements(result)
    return result


@operation("kms", "CancelKeyDeletion")
def cancel_key_deletion(call):
    key = _target_key(call, "kms:CancelKeyDeletion", for_update=True)
    key.state = "Disabled"
    key.deletion_date = None
    key.pending_window_days = None
    key.save(update_fields=["state", "deletion_date", "pending_window_days"])
    call.response_elements = {"keyId": key.arn}
    return {"KeyId": key.arn}


# ----------------------------------------------------------------------------------------------------------
# Key policies
# ----------------------------------------------------------------------------------------------------------


def _require_default_policy_name(key: Key, name: str):
    if name != DEFAULT_POLICY_NAME:
        raise errors.NotFoundException(f"No such policy exists: policy {name} of key {key.arn}",
                                       field="PolicyName")


@operation("kms", "GetKeyPolicy", read_only=True)
def get_key_policy(call):
    name = call.params.get("PolicyName") or DEFAULT_POLICY_NAME
    key = _target_key(call, "kms:GetKeyPolicy", extra_context={"kms:PolicyName": name})
    _require_default_policy_name(key, name)
    return {"Policy": key.policy, "PolicyName": name}


@operation("kms", "PutKeyPolicy")
def put_key_policy(call):
    name = call.params.get("PolicyName") or DEFAULT_POLICY_NAME
    bypass = bool(call.params.get("BypassPolicyLockoutSafetyCheck"))
    key = _target_key(call, "kms:PutKeyPolicy", for_update=True,
                      extra_context={"kms:PolicyName": name, "kms:BypassPolicyLockoutSafetyCheck": bypass})
    _require_default_policy_name(key, name)
    policy_text = call.params["Policy"]
    check_key_policy(call, policy_text, key_account=key.account_id, key_arn=key.arn, bypass_lockout=bypass)
    store.set_key_policy(key, policy_text, changed_by=call.principal.arn)
    return {}


@operation("kms", "ListKeyPolicies", read_only=True)
def list_key_policies(call):
    _target_key(call, "kms:ListKeyPolicies")
    page, more = paginate([DEFAULT_POLICY_NAME], call.params, default_limit=100)
    return {"PolicyNames": page, **more}


# ----------------------------------------------------------------------------------------------------------
# Tags
# ----------------------------------------------------------------------------------------------------------


@operation("kms", "TagResource")
def tag_resource(call):
    tags = call.params["Tags"]
    _check_tag_keys([t["TagKey"] for t in tags])
    key = _target_key(call, "kms:TagResource", for_update=True, extra_context=_tag_context(tags))
    _apply_tags(key, tags)
    return {}


@operation("kms", "UntagResource")
def untag_resource(call):
    tag_keys = call.params["TagKeys"]
    _check_tag_keys(tag_keys)
    key = _target_key(call, "kms:UntagResource", for_update=True, extra_context={"aws:TagKeys": list(tag_keys)})
    key.tags.filter(tag_key__in=tag_keys).delete()
    return {}


@operation("kms", "ListResourceTags", read_only=True)
def list_resource_tags(call):
    key = _target_key(call, "kms:ListResourceTags")
    tags = key.tags.order_by("tag_key").values_list("tag_key", "tag_value")
    page, more = paginate(tags, call.params, default_limit=50)
    return {"Tags": [{"TagKey": k, "TagValue": v} for k, v in page], **more}


# ----------------------------------------------------------------------------------------------------------
# Rotation
# ----------------------------------------------------------------------------------------------------------


@operation("kms", "EnableKeyRotation")
def enable_key_rotation(call):
    period = call.params.get("RotationPeriodInDays") or 365
    key = _target_key(call, "kms:EnableKeyRotation", for_update=True,
                      extra_context={"kms:RotationPeriodInDays": period})
    _require_rotation_support(key)
    _refuse_replica_rotation(key)
    if not key.rotation_enabled or key.rotation_period_days != period:
        key.rotation_enabled = True
        key.rotation_period_days = period
        key.next_rotation_date = timezone.now() + dt.timedelta(days=period)
        key.save(update_fields=["rotation_enabled", "rotation_period_days", "next_rotation_date"])
        _share_rotation(key)
    return {}


@operation("kms", "DisableKeyRotation")
def disable_key_rotation(call):
    key = _target_key(call, "kms:DisableKeyRotation", for_update=True)
    _require_rotation_support(key)
    _refuse_replica_rotation(key)
    key.rotation_enabled = False
    key.next_rotation_date = None
    key.save(update_fields=["rotation_enabled", "next_rotation_date"])
    _share_rotation(key)
    return {}


def _share_rotation(key: Key):
    """A multi-Region primary's rotation settings are its replicas' too."""
    key.related_keys().update(rotation_enabled=key.rotation_enabled, rotation_period_days=key.rotation_period_days,
                              next_rotation_date=key.next_rotation_date)


@operation("kms", "GetKeyRotationStatus", read_only=True)
def get_key_rotation_status(call):
    key = _target_key(call, "kms:GetKeyRotationStatus")
    _require_rotation_support(key)
    # A key pending deletion reads as not rotating; its setting comes back if the deletion is cancelled.
    enabled = key.rotation_enabled and key.state != "PendingDeletion"
    result = {"KeyRotationEnabled": enabled, "KeyId": key.arn}
    if enabled:
        result["RotationPeriodInDays"] = key.rotation_period_days
        result["NextRotationDate"] = key.next_rotation_date
    return result


@operation("kms", "RotateKeyOnDemand")
def rotate_key_on_demand(call):
    key = _target_key(call, "kms:RotateKeyOnDemand", for_update=True)
    _require_rotation_support(key, on_demand=True)
    _refuse_replica_rotation(key)
    if key.materials.filter(rotation_type="ON_DEMAND").count() >= MAX_ON_DEMAND_ROTATIONS:
        raise errors.LimitExceededException(
            "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations "
            f"can be performed for this key: {key.arn}")
    if key.origin == "EXTERNAL":
        _rotate_to_imported_material(key)
    else:
        store.add_material_version(key, "ON_DEMAND")
    call.response_elements = {"keyId": key.arn}
    return {"KeyId": key.arn}


def _rotate_to_imported_material(key: Key):
    """An EXTERNAL key rotates to the material imported for it with ImportType NEW_KEY_MATERIAL."""
    pending = key.materials.filter(pending_rotation=True, import_state="IMPORTED").first()
    if pending is None:
        raise errors.KMSInvalidStateException(
            f"{key.arn} has no imported key material pending rotation: import new key material with "
            "ImportType NEW_KEY_MATERIAL first.")
    pending.pending_rotation = False
    pending.rotation_type = "ON_DEMAND"
    pending.created_at = timezone.now()
    pending.save(update_fields=["pending_rotation", "rotation_type", "created_at"])


@operation("kms", "ListKeyRotations", read_only=True)
def list_key_rotations(call):
    key = _target_key(call, "kms:ListKeyRotations")
    _require_rotation_support(key, on_demand=True)
    materials = list(key.materials.order_by("version"))
    settled = [m for m in materials if not m.pending_rotation]
    current = settled[-1].version if settled else None
    if call.params.get("IncludeKeyMaterial") != "ALL_KEY_MATERIAL":
        materials = [m for m in materials if m.rotation_type]
    page, more = paginate(materials, call.params, default_limit=100)
    rotations = []
    for material in page:
        entry = {
            "KeyId": key.arn,
            "KeyMaterialId": material.material_id,
            "KeyMaterialState": ("PENDING_ROTATION" if material.pending_rotation
                                 else "CURRENT" if material.version == current else "NON_CURRENT"),
        }
        if key.origin == "EXTERNAL":
            entry.update(_imported_material_fields(material))
        if material.rotation_type:
            entry["RotationDate"] = material.created_at
            entry["RotationType"] = material.rotation_type
        rotations.append(entry)
    return {"Rotations": rotations, **more}


def _imported_material_fields(material) -> dict:
    fields = {"ImportState": material.import_state or "PENDING_IMPORT"}
    if material.description:
        fields["KeyMaterialDescription"] = material.description
    if material.expiration_model:
        fields["ExpirationModel"] = material.expiration_model
    if material.valid_to is not None:
        fields["ValidTo"] = material.valid_to
    return fields


# ----------------------------------------------------------------------------------------------------------
# Operations this emulator does not offer: answered clearly instead of UnknownOperationException
# ----------------------------------------------------------------------------------------------------------

_UNSUPPORTED = {
    "custom key stores are not supported by this emulator": [
        ("CreateCustomKeyStore", False), ("ConnectCustomKeyStore", False), ("DescribeCustomKeyStores", True),
        ("DisconnectCustomKeyStore", False), ("UpdateCustomKeyStore", False), ("DeleteCustomKeyStore", False),
    ],
    "multi-Region keys are not supported by this emulator": [
        ("ReplicateKey", False), ("UpdatePrimaryRegion", False),
    ],
    "key last-usage tracking is not supported by this emulator": [("GetKeyLastUsage", True)],
}


def _unsupported(name: str, reason: str):
    def answer(call):
        raise errors.UnsupportedOperationException(f"{name}: {reason}.")

    answer.__name__ = f"unsupported_{name}"
    return answer


for _reason, _operations in _UNSUPPORTED.items():
    for _name, _read_only in _operations:
        operation("kms", _name, read_only=_read_only)(_unsupported(_name, _reason))

