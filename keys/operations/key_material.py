"""Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial and
DeleteImportedKeyMaterial.

The wrapping crypto and the import token are keys.import_wrapping's; expiry is keys.key_material_expiry's.
Each operation follows kms.md §11.1 like the others: validate, resolve the key (key ID or key ARN only, and
only the caller's own: the policy engine refuses these actions across accounts), authorise, check the key
state, then act. Key material and import tokens never reach a record or an error message.

A KeyMaterialId of imported material is derived from the key and the bytes, as AWS derives it: importing the
same bytes again gives the same id, which is what lets old ciphertexts (they name their material) decrypt
again after a re-import, and what tells different bytes apart (IncorrectKeyMaterialException).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from django.db.models import Max
from django.utils import timezone

from awsapi import errors
from awsapi.dispatch import operation
from keys import crypto, import_wrapping
from keys.authz import authorize_key
from keys.key_material_expiry import forget_material, next_expiry
from keys.models import Key, KeyMaterial
from keys.operations.common import record_elements, require_state
from keys.resolve import resolve_key

EXPIRES = "KEY_MATERIAL_EXPIRES"
DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
NEW_KEY_MATERIAL = "NEW_KEY_MATERIAL"
EXISTING_KEY_MATERIAL = "EXISTING_KEY_MATERIAL"
MAX_VALID_TO = dt.timedelta(days=365)
# HMAC material may be longer than the digest; these are the lengths KMS accepts for each spec, in bytes.
_HMAC_MATERIAL_BYTES = {"HMAC_224": (28, 64), "HMAC_256": (32, 64), "HMAC_384": (48, 128), "HMAC_512": (64, 128)}


def _external_key(call, action: str, *, for_update: bool = False, extra_context: dict | None = None) -> Key:
    key = resolve_key(call, call.params["KeyId"], action=action, aliases=False, for_update=for_update)
    authorize_key(call, key, action, extra_context=extra_context)
    require_state(key, call.operation)
    if key.origin != "EXTERNAL":
        raise errors.UnsupportedOperationException(
            f"{key.arn} origin is {key.origin} which is not valid for this operation.")
    return key


def material_id_for(key: Key, material: bytes) -> str:
    """The KeyMaterialId of `material` imported into `key`: the same bytes always give the same id."""
    return hashlib.sha256(b"kmsconsole imported key material\0" + key.key_id.encode() + b"\0" + material).hexdigest()


# ----------------------------------------------------------------------------------------------------------
# GetParametersForImport
# ----------------------------------------------------------------------------------------------------------


@operation("kms", "GetParametersForImport", read_only=True)
def get_parameters_for_import(call):
    params = call.params
    algorithm, spec = params["WrappingAlgorithm"], params["WrappingKeySpec"]
    key = _external_key(call, "kms:GetParametersForImport",
                        extra_context={"kms:WrappingAlgorithm": algorithm, "kms:WrappingKeySpec": spec})
    if algorithm not in import_wrapping.WRAPPING_ALGORITHMS:
        # RSAES_PKCS1_V1_5 was withdrawn in October 2023; SM2PKE exists only in the China Regions.
        raise errors.ValidationException(f"The wrapping algorithm {algorithm} is not supported in this Region.",
                                         field="WrappingAlgorithm")
    if spec not in import_wrapping.WRAPPING_KEY_BITS:
        raise errors.ValidationException(f"The wrapping key spec {spec} is not supported in this Region.",
                                         field="WrappingKeySpec")
    if key.key_spec.startswith("RSA_") and algorithm.startswith("RSAES_"):
        # An RSA private key is larger than any RSA wrapping key can encrypt directly.
        raise errors.ValidationException(
            f"The wrapping algorithm {algorithm} cannot wrap {key.key_spec} key material; use "
            "RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.", field="WrappingAlgorithm")
    public_key, token, parameters = import_wrapping.new_parameters(key.arn, algorithm, spec, timezone.now())
    return {"KeyId": key.arn, "ImportToken": token, "PublicKey": public_key,
            "ParametersValidTo": parameters.valid_to}


# ----------------------------------------------------------------------------------------------------------
# ImportKeyMaterial
# ----------------------------------------------------------------------------------------------------------


def _expiry(params: dict, now) -> tuple[str, dt.datetime | None]:
    model = params.get("ExpirationModel") or EXPIRES
    valid_to = params.get("ValidTo")
    if model == EXPIRES:
        if valid_to is None:
            raise errors.ValidationException(
                "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES", field="ValidTo")
        if valid_to <= now:
            raise errors.ValidationException("The validTo date must be in the future.", field="ValidTo")
        if valid_to > now + MAX_VALID_TO:
            raise errors.ValidationException("The validTo date must be at most 365 days from now.",
                                             field="ValidTo")
    elif valid_to is not None:
        raise errors.ValidationException(
            "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
            field="ValidTo")
    return model, valid_to


def _canonical_material(key: Key, material: bytes) -> bytes:
    """The material as it is stored for `key`'s spec; IncorrectKeyMaterialException if it cannot be one."""
    spec = crypto.key_spec_info(key.key_spec)
    wrong = errors.IncorrectKeyMaterialException(f"The key material is not valid for a {key.key_spec} key.")
    if spec.key_type == crypto.SYMMETRIC:
        if len(material) != 32:
            raise wrong
        return material
    if spec.key_type == crypto.HMAC:
        shortest, longest = _HMAC_MATERIAL_BYTES[key.key_spec]
        if not shortest <= len(material) <= longest:
            raise wrong
        return material
    try:  # asymmetric: a PKCS #8 private key of the key's spec
        private_key = serialization.load_der_private_key(material, password=None)
        canonical = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        crypto.public_key_der(key.key_spec, canonical)  # raises if the key is not of the spec
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise wrong from None
    return canonical


def _open_token(key: Key, token: bytes, now) -> import_wrapping.ImportParameters:
    try:
        parameters = import_wrapping.open_token(token)
    except import_wrapping.InvalidToken:
        raise errors.InvalidImportTokenException("The import token is not valid.") from None
    if parameters.key_arn != key.arn:
        raise errors.InvalidImportTokenException("The import token was issued for a different KMS key.")
    if parameters.expired(now):
        raise errors.ExpiredImportTokenException("The import token has expired.")
    return parameters


def _target_material(key: Key, material_id: str, params: dict) -> tuple[KeyMaterial | None, bool]:
    """(the existing row this import refills, or None for new material; whether new material waits for
    RotateKeyOnDemand). Applies ImportType and KeyMaterialId (symmetric keys only)."""
    materials = list(key.materials.order_by("version"))
    import_type = params.get("ImportType")
    requested_id = params.get("KeyMaterialId")
    symmetric = key.key_spec == "SYMMETRIC_DEFAULT"
    if not symmetric and (import_type or requested_id or params.get("KeyMaterialDescription") is not None):
        raise errors.ValidationException(
            "ImportType, KeyMaterialId and KeyMaterialDescription are valid only for symmetric encryption keys.")
    if import_type == NEW_KEY_MATERIAL and requested_id:
        raise errors.ValidationException("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.",
                                         field="KeyMaterialId")
    import_type = import_type or (EXISTING_KEY_MATERIAL if materials else NEW_KEY_MATERIAL)
    same = next((m for m in materials if m.material_id == material_id), None)
    if import_type == EXISTING_KEY_MATERIAL:
        if same is None or (requested_id and requested_id != material_id):
            raise errors.IncorrectKeyMaterialException(
                "The key material does not match the key material previously imported into this KMS key.")
        return same, same.pending_rotation
    if same is not None:
        raise errors.IncorrectKeyMaterialException("This key material is already associated with this KMS key.")
    if not materials:
        return None, False
    if not symmetric:
        raise errors.IncorrectKeyMaterialException(
            "The key material does not match the key material previously imported into this KMS key.")
    if any(m.pending_rotation for m in materials):
        raise errors.KMSInvalidStateException(
            f"{key.arn} already has key material pending rotation; rotate or delete it first.")
    if key.state == "PendingImport":
        raise errors.KMSInvalidStateException(
            f"{key.arn} is pending import; import its current key material again first.")
    return None, True


@operation("kms", "ImportKeyMaterial")
def import_key_material(call):
    params = call.params
    now = timezone.now()
    model, valid_to = _expiry(params, now)
    context = {"kms:ExpirationModel": model}
    if valid_to is not None:
        context["kms:ValidTo"] = int(valid_to.timestamp())
    key = _external_key(call, "kms:ImportKeyMaterial", for_update=True, extra_context=context)
    parameters = _open_token(key, params["ImportToken"], now)
    try:
        material = import_wrapping.unwrap(parameters, params["EncryptedKeyMaterial"])
    except import_wrapping.UnwrapFailed:
        raise errors.InvalidCiphertextException() from None
    material = _canonical_material(key, material)
    material_id = material_id_for(key, material)
    row, pending_rotation = _target_material(key, material_id, params)
    if row is None:
        latest = key.materials.aggregate(latest=Max("version"))["latest"] or 0
        row = KeyMaterial(key=key, version=latest + 1, material_id=material_id, created_at=now,
                          pending_rotation=pending_rotation)
    row.material = material
    row.import_state = "IMPORTED"
    row.expiration_model = model
    row.valid_to = valid_to
    if params.get("KeyMaterialDescription") is not None:
        row.description = params["KeyMaterialDescription"]
    row.save()
    if not row.pending_rotation and key.state == "PendingImport":
        key.state = "Enabled"
    key.material_expires_at = next_expiry(key)
    key.save(update_fields=["state", "material_expires_at"])
    result = {"KeyId": key.arn, "KeyMaterialId": material_id}
    call.response_elements = record_elements(result)
    return result


# ----------------------------------------------------------------------------------------------------------
# DeleteImportedKeyMaterial
# ----------------------------------------------------------------------------------------------------------


@operation("kms", "DeleteImportedKeyMaterial")
def delete_imported_key_material(call):
    key = _external_key(call, "kms:DeleteImportedKeyMaterial", for_update=True)
    requested_id = call.params.get("KeyMaterialId")
    current = key.materials.filter(pending_rotation=False).order_by("-version").first()
    if requested_id:
        material = key.materials.filter(material_id=requested_id).first()
        if material is None:
            raise errors.NotFoundException(f"Key material {requested_id} is not associated with {key.arn}.",
                                           field="KeyMaterialId")
    else:
        material = current
    if material is not None and material.pending_rotation:
        material.delete()  # never current, so nothing was encrypted under it
    elif material is not None and material.import_state == "IMPORTED":
        forget_material(material)
        if current is not None and material.pk == current.pk:
            key.state = "PendingImport"
    key.material_expires_at = next_expiry(key)
    key.save(update_fields=["state", "material_expires_at"])
    result = {"KeyId": key.arn, "KeyMaterialId": material.material_id if material else ""}
    call.response_elements = record_elements(result)
    return result
