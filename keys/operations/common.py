"""Helpers every KMS operation module shares: the KeyMetadata structure, the key-state rules of
kms.md §6.4, Limit/Marker pagination, DryRun, and audit-record shaping.

Operations follow §11.1's order: validate, resolve the key, authorise, THEN `require_state`, then act.
"""

from __future__ import annotations

import base64
import binascii
import json

from awsapi import errors
from keys import crypto
from keys.models import Key

# ----------------------------------------------------------------------------------------------------------
# KeyMetadata (kms.md §6.2)
# ----------------------------------------------------------------------------------------------------------


def key_metadata(key: Key, *, current_material_id: str | None = None) -> dict:
    """The KeyMetadata structure of DescribeKey / CreateKey, with only the members AWS returns for this key.

    `current_material_id` saves a query when the caller already knows it (CreateKey)."""
    metadata = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created_at,
        "Enabled": key.state == "Enabled",
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state,
    }
    if key.state == "PendingDeletion":
        metadata["DeletionDate"] = key.deletion_date
    if key.state in ("PendingDeletion", "PendingReplicaDeletion") and key.pending_window_days:
        metadata["PendingDeletionWindowInDays"] = key.pending_window_days
    if key.origin == "EXTERNAL":
        metadata.update(_imported_material_expiry(key))
    metadata.update({
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
    })
    metadata.update(crypto.key_spec_info(key.key_spec).describe_algorithms(key.key_usage))
    metadata["MultiRegion"] = key.multi_region
    if key.multi_region:
        metadata["MultiRegionConfiguration"] = multi_region_configuration(key)
    # AWS reports the current material only for symmetric encryption keys (the ones that rotate).
    if key.key_spec == "SYMMETRIC_DEFAULT":
        if current_material_id is None:
            material = key.current_material
            current_material_id = material.material_id if material and material.usable else None
        if current_material_id:
            metadata["CurrentKeyMaterialId"] = current_material_id
    return metadata


def multi_region_configuration(key: Key) -> dict:
    """PRIMARY or REPLICA, the primary key and the replicas: the same picture from every key of the set."""
    regions = sorted([(key.region, key.arn)] + list(key.related_keys().values_list("region", "arn")))
    primary = next(((region, arn) for region, arn in regions if region == key.primary_region), None)
    configuration = {"MultiRegionKeyType": "PRIMARY" if key.is_primary else "REPLICA",
                     "ReplicaKeys": [{"Arn": arn, "Region": region} for region, arn in regions
                                     if region != key.primary_region]}
    if primary:
        configuration["PrimaryKey"] = {"Arn": primary[1], "Region": primary[0]}
    return configuration


def _imported_material_expiry(key: Key) -> dict:
    """ExpirationModel and ValidTo of an EXTERNAL key's current material, once some is imported."""
    material = key.current_material
    if material is None or not material.usable or not material.expiration_model:
        return {}
    fields = {"ExpirationModel": material.expiration_model}
    if material.valid_to is not None:
        fields["ValidTo"] = material.valid_to
    return fields


# ----------------------------------------------------------------------------------------------------------
# Key states (kms.md §6.4)
# ----------------------------------------------------------------------------------------------------------

_STATE_PHRASES = {
    "Disabled": "disabled",
    "PendingDeletion": "pending deletion",
    "PendingReplicaDeletion": "pending replica deletion",
    "PendingImport": "pending import",
    "Unavailable": "unavailable",
    "Creating": "creating",
    "Updating": "updating",
}

# What a state does to an operation: None = allowed; otherwise how it fails.
DISABLED = "disabled"  # DisabledException "<arn> is disabled."
INVALID = "invalid"  # KMSInvalidStateException "<arn> is <state phrase>."
NOT_PENDING_DELETION = "not-pending-deletion"  # KMSInvalidStateException "<arn> is not pending deletion."
UNSUPPORTED_ORIGIN = "unsupported-origin"  # UnsupportedOperationException about the key's origin

_ALL_STATES = ("Enabled", "Disabled", "PendingDeletion", "PendingReplicaDeletion", "PendingImport",
               "Unavailable", "Creating", "Updating")


def _row(disabled=None, pending_deletion=None, pending_import=None, unavailable=None, creating=None,
         updating=None, enabled=None) -> dict:
    return {
        "Enabled": enabled, "Disabled": disabled, "PendingDeletion": pending_deletion,
        "PendingReplicaDeletion": pending_deletion, "PendingImport": pending_import,
        "Unavailable": unavailable, "Creating": creating, "Updating": updating,
    }


_USE = _row(disabled=DISABLED, pending_deletion=INVALID, pending_import=INVALID, unavailable=INVALID,
            creating=INVALID)
_ALWAYS = _row()
_EDIT = _row(pending_deletion=INVALID)
_ENABLE_DISABLE = _row(pending_deletion=INVALID, pending_import=INVALID, creating=INVALID, updating=INVALID)
_ROTATION = _row(disabled=DISABLED, pending_deletion=INVALID, pending_import=UNSUPPORTED_ORIGIN,
                 unavailable=UNSUPPORTED_ORIGIN, creating=INVALID)
_ROTATION_STATUS = _row(pending_import=UNSUPPORTED_ORIGIN, unavailable=UNSUPPORTED_ORIGIN)

STATE_RULES: dict[str, dict] = {
    **dict.fromkeys(
        ["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
         "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac",
         "VerifyMac", "GetPublicKey", "DeriveSharedSecret", "Encapsulate", "Decapsulate"], _USE),
    "CreateGrant": {**_USE, "Unavailable": None},
    **dict.fromkeys(
        ["DescribeKey", "GetKeyPolicy", "PutKeyPolicy", "ListGrants", "ListKeyPolicies", "ListResourceTags",
         "ListAliases", "RetireGrant", "RevokeGrant", "DeleteAlias", "ListKeyRotations", "GetKeyLastUsage"],
        _ALWAYS),
    # UpdateAlias: the alias may leave a key pending deletion, but may not point to one (footnote 10);
    # operations check the NEW target with this row.
    **dict.fromkeys(["CreateAlias", "UpdateAlias", "TagResource", "UntagResource", "UpdateKeyDescription"], _EDIT),
    **dict.fromkeys(["EnableKey", "DisableKey"], _ENABLE_DISABLE),
    # Imported material: any state but pending deletion (kms.md §6.4's key-state table).
    **dict.fromkeys(["GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial"], _EDIT),
    "ScheduleKeyDeletion": _row(pending_deletion=INVALID, updating=INVALID),
    "CancelKeyDeletion": {state: NOT_PENDING_DELETION for state in _ALL_STATES} | {"PendingDeletion": None,
                                                                                "PendingReplicaDeletion": None},
    **dict.fromkeys(["EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"], _ROTATION),
    "GetKeyRotationStatus": _ROTATION_STATUS,
    **dict.fromkeys(["ReplicateKey", "UpdatePrimaryRegion"], _row(pending_deletion=INVALID, pending_import=INVALID,
                                                                  unavailable=INVALID, creating=INVALID,
                                                                  updating=INVALID)),
}


def state_error(key: Key, operation: str) -> errors.AwsError | None:
    """The error `operation` meets on `key` in its current state, or None when the state allows it."""
    try:
        rule = STATE_RULES[operation]
    except KeyError:
        raise ValueError(f"no key-state rule for {operation}") from None
    outcome = rule.get(key.state)
    if outcome is None:
        return None
    if outcome == DISABLED:
        return errors.DisabledException(f"{key.arn} is disabled.")
    if outcome == NOT_PENDING_DELETION:
        return errors.KMSInvalidStateException(f"{key.arn} is not pending deletion.")
    if outcome == UNSUPPORTED_ORIGIN:
        return errors.UnsupportedOperationException(
            f"{key.arn} origin is {key.origin} which is not valid for this operation.")
    return errors.KMSInvalidStateException(f"{key.arn} is {_STATE_PHRASES.get(key.state, key.state)}.")


def require_state(key: Key, operation: str) -> None:
    """Raise DisabledException / KMSInvalidStateException (§6.4) unless the key's state allows `operation`."""
    error = state_error(key, operation)
    if error is not None:
        raise error


# ----------------------------------------------------------------------------------------------------------
# Limit / Marker pagination
# ----------------------------------------------------------------------------------------------------------

_MARKER_VERSION = "m1"


def encode_marker(offset: int) -> str:
    raw = json.dumps({"v": _MARKER_VERSION, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_marker(marker: str | None) -> int:
    """The offset an opaque marker stands for; InvalidMarkerException when it is not one of ours."""
    if not marker:
        return 0
    try:
        raw = base64.urlsafe_b64decode(marker + "=" * (-len(marker) % 4))
        data = json.loads(raw)
        offset = data["o"]
        if data.get("v") != _MARKER_VERSION or not isinstance(offset, int) or offset < 0:
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        # AWS's wording is unpublished; this says what is wrong without echoing the value.
        raise errors.InvalidMarkerException("The marker that specifies where to start paginating is not valid.")
    return offset


def paginate(items, params: dict, *, default_limit: int = 100) -> tuple[list, dict]:
    """One page of `items` (a list or queryset, in a stable order) for the request's Limit and Marker.

    Returns (page, fields) where fields is {"Truncated": bool} plus "NextMarker" when there is more, ready to
    merge into the output."""
    limit = params.get("Limit") or default_limit
    offset = decode_marker(params.get("Marker"))
    window = list(items[offset:offset + limit + 1])
    page = window[:limit]
    if len(window) > limit:
        return page, {"NextMarker": encode_marker(offset + limit), "Truncated": True}
    return page, {"Truncated": False}


# ----------------------------------------------------------------------------------------------------------
# DryRun
# ----------------------------------------------------------------------------------------------------------

DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."


def check_dry_run(call) -> None:
    """Call after validation, resolution, authorisation and state checks: a dry run stops here."""
    if call.params.get("DryRun"):
        raise errors.DryRunOperationException(DRY_RUN_MESSAGE)


# ----------------------------------------------------------------------------------------------------------
# Audit-record shaping
# ----------------------------------------------------------------------------------------------------------


def record_elements(value):
    """A PascalCase output (or part of one) as CloudTrail's camelCase responseElements: JSON-serialisable,
    timestamps as ISO-8601 UTC strings, blobs dropped."""
    if isinstance(value, dict):
        return {name[:1].lower() + name[1:]: record_elements(item) for name, item in value.items()
                if item is not None and not isinstance(item, (bytes, bytearray, memoryview))}
    if isinstance(value, (list, tuple)):
        return [record_elements(item) for item in value]
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value
