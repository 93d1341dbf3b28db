"""Cryptographic operations (kms.md §7): Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateDataKeyPair*,
GenerateRandom, Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, DeriveSharedSecret.

Each follows §11.1: resolve the key, authorise (with the encryption context, so that kms:EncryptionContext:*
conditions and grant constraints see it), check the key state, then the key usage and algorithm, then act.
All cryptography is keys.crypto's; this module only chooses the material and maps its errors to AWS's.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from awsapi import errors
from awsapi.dispatch import operation
from keys import crypto, key_material_expiry
from keys.authz import authorize_account_action, authorize_key
from keys.models import Key, KeyMaterial
from keys.operations import common
from keys.operations.grants import check_grant_tokens
from keys.resolve import purge_if_due, resolve_key
from kmsconsole import statecache

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"
_DATA_KEY_BYTES = {"AES_128": 16, "AES_256": 32}
_UNKNOWN_CIPHERTEXT_KEY = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)


# ----------------------------------------------------------------------------------------------------------
# Shared steps
# ----------------------------------------------------------------------------------------------------------


@contextmanager
def crypto_errors():
    """keys.crypto's errors as the AWS errors a client sees."""
    try:
        yield
    except crypto.IncompatibleAlgorithm as exc:
        raise errors.InvalidKeyUsageException(exc.message) from None
    except crypto.UnavailableAlgorithm as exc:
        raise errors.UnsupportedOperationException(exc.message) from None
    except crypto.CryptoValidationError as exc:
        raise errors.ValidationException(exc.message) from None
    except crypto.InvalidCiphertext:
        raise errors.InvalidCiphertextException() from None
    except crypto.InvalidSignature:
        raise errors.KMSInvalidSignatureException() from None
    except crypto.InvalidMac:
        raise errors.KMSInvalidMacException() from None


def _refuse_unsupported_members(call) -> None:
    if call.params.get("Recipient"):
        raise errors.UnsupportedOperationException(
            "Recipient (AWS Nitro Enclaves attestation) is not supported by this KMS.")


def _dry_run(call) -> None:
    if call.params.get("DryRun"):
        raise errors.DryRunOperationException("The request would have succeeded, but the DryRun option is set.")


def _use_key(call, identifier: str, operation_name: str, action: str, *, encryption_context=None,
             extra_context: dict | None = None) -> Key:
    """Resolve, authorise and state-check the key an operation uses."""
    key = resolve_key(call, identifier, action=action)
    authorize_key(call, key, action, extra_context=extra_context, encryption_context=encryption_context)
    common.require_state(key, operation_name)
    return key


def _require_usage(key: Key, usage: str, operation_name: str) -> None:
    if key.key_usage != usage:
        raise errors.InvalidKeyUsageException(
            f"{key.arn} key usage is {key.key_usage} which is not valid for {operation_name}.")


_INCORRECT_KEY_MESSAGE = "The key ID in the request does not identify a CMK that can perform this operation."


def _require_decrypting_key(key: Key, operation_name: str) -> None:
    """Decrypt / ReEncrypt's source: an HMAC key is symmetric but is not the key of any ciphertext, and AWS
    answers IncorrectKeyException for it; other wrong usages get InvalidKeyUsageException."""
    if key.key_spec.startswith("HMAC_"):
        raise errors.IncorrectKeyException(_INCORRECT_KEY_MESSAGE)
    _require_usage(key, crypto.ENCRYPT_DECRYPT, operation_name)


def _require_symmetric(key: Key, operation_name: str) -> None:
    _require_usage(key, crypto.ENCRYPT_DECRYPT, operation_name)
    if key.key_spec != SYMMETRIC_DEFAULT:
        raise errors.InvalidKeyUsageException(
            f"{key.arn} key spec is {key.key_spec} which is not valid for {operation_name}.")


def _check_algorithm(key: Key, algorithm: str) -> None:
    with crypto_errors():
        crypto.check_algorithm(key.key_spec, key.key_usage, algorithm)


def _current_material(key: Key) -> KeyMaterial:
    material = key.current_material
    if material is None:  # a key always has material; its absence is a server fault, not a client error
        raise RuntimeError(f"key {key.arn} has no key material")
    return material


def _encrypt_symmetric(key: Key, plaintext: bytes, encryption_context) -> tuple[bytes, str]:
    material = _current_material(key)
    with crypto_errors():
        blob = crypto.encrypt_symmetric(material.material, key.key_id, material.material_id, plaintext,
                                        encryption_context)
    return blob, material.material_id


def _encrypt_with(key: Key, plaintext: bytes, algorithm: str, encryption_context) -> tuple[bytes, str | None]:
    """(ciphertext, KeyMaterialId or None) under `key` with `algorithm`, which the caller has checked."""
    if key.key_spec == SYMMETRIC_DEFAULT:
        return _encrypt_symmetric(key, plaintext, encryption_context)
    with crypto_errors():
        return crypto.encrypt_asymmetric(key.key_spec, _current_material(key).material, algorithm, plaintext), None


def _encryption_algorithm(params: dict, member: str = "EncryptionAlgorithm") -> str:
    return params.get(member) or SYMMETRIC_DEFAULT


def _ciphertext(params: dict) -> bytes:
    blob = params.get("CiphertextBlob")
    if blob is None:
        raise errors.ValidationException(
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: "
            "Member must not be null")
    return blob


# ----------------------------------------------------------------------------------------------------------
# Decrypting: which key a ciphertext belongs to
# ----------------------------------------------------------------------------------------------------------


def material_by_id(material_id: str, region: str) -> KeyMaterial | None:
    """The material a ciphertext names, as held by the key in `region` (the keys of a multi-Region set hold
    copies of the same material, one per Region)."""
    return statecache.get("material", (material_id, region), lambda: (
        KeyMaterial.objects.select_related("key", "key__account")
        .filter(material_id=material_id, key__region=region).order_by().first()))


def _key_for_ciphertext(call, blob: bytes, identifier: str | None, action: str) -> tuple[Key, KeyMaterial | None]:
    """The key that must decrypt `blob`, and for symmetric ciphertext the material version that made it.

    With a KeyId the key is resolved as usual; the blob must then be that key's (IncorrectKeyException
    otherwise). Without one the symmetric blob's header names its material, whose key is the answer."""
    if identifier:
        key = resolve_key(call, identifier, action=action)
        if key.key_spec != SYMMETRIC_DEFAULT:
            return key, None
        try:
            header = crypto.read_blob_header(blob)
        except crypto.InvalidCiphertext:
            return key, None  # reported as InvalidCiphertextException after authorisation
        material = material_by_id(header.material_id, key.region)
        if material is None or material.key_id != key.pk:
            return key, _INCORRECT_KEY
        return key, material

    with crypto_errors():
        header = crypto.read_blob_header(blob)
    material = material_by_id(header.material_id, call.region)
    key = copy.copy(material.key) if material else None
    if key is None or key.region != call.region or purge_if_due(key, call):
        raise errors.AccessDeniedException(_UNKNOWN_CIPHERTEXT_KEY)
    if key_material_expiry.is_due(key):
        key = key_material_expiry.expire_on_access(key, call)
        material = material_by_id(header.material_id, call.region)
    return key, material


# Marks "the blob is a valid symmetric blob of another key" until authorisation has been checked.
_INCORRECT_KEY = object()


def _decrypt_with(key: Key, material, blob: bytes, algorithm: str, encryption_context) -> bytes:
    """Plaintext of `blob` under `key` (already authorised, state-checked and usage-checked)."""
    _check_algorithm(key, algorithm)
    if material is _INCORRECT_KEY:
        raise errors.IncorrectKeyException(_INCORRECT_KEY_MESSAGE)
    with crypto_errors():
        if key.key_spec == SYMMETRIC_DEFAULT:
            if material is None:
                raise crypto.InvalidCiphertext()
            if not material.usable:
                raise errors.KMSInvalidStateException(
                    f"{key.arn} key material {material.material_id} is pending import.")
            return crypto.decrypt_symmetric(material.material, blob, encryption_context)
        return crypto.decrypt_asymmetric(key.key_spec, _current_material(key).material, algorithm, blob)


# ----------------------------------------------------------------------------------------------------------
# Encrypt / Decrypt / ReEncrypt
# ----------------------------------------------------------------------------------------------------------


@operation("kms", "Encrypt", read_only=True)
def encrypt(call):
    params = call.params
    algorithm = _encryption_algorithm(params)
    context = params.get("EncryptionContext")
    check_grant_tokens(call)
    key = _use_key(call, params["KeyId"], "Encrypt", "kms:Encrypt", encryption_context=context,
                   extra_context={"kms:EncryptionAlgorithm": algorithm})
    _require_usage(key, crypto.ENCRYPT_DECRYPT, "Encrypt")
    _check_algorithm(key, algorithm)
    _dry_run(call)
    blob, _ = _encrypt_with(key, params["Plaintext"], algorithm, context)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


@operation("kms", "Decrypt", read_only=True)
def decrypt(call):
    params = call.params
    _refuse_unsupported_members(call)
    blob = _ciphertext(params)
    algorithm = _encryption_algorithm(params)
    context = params.get("EncryptionContext")
    check_grant_tokens(call)
    key, material = _key_for_ciphertext(call, blob, params.get("KeyId"), "kms:Decrypt")
    authorize_key(call, key, "kms:Decrypt", encryption_context=context,
                  extra_context={"kms:EncryptionAlgorithm": algorithm})
    common.require_state(key, "Decrypt")
    _require_decrypting_key(key, "Decrypt")
    if params.get("DryRun"):
        _check_algorithm(key, algorithm)
        _dry_run(call)
    plaintext = _decrypt_with(key, material, blob, algorithm, context)
    result = {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}
    if key.key_spec == SYMMETRIC_DEFAULT:
        result["KeyMaterialId"] = material.material_id
    return result


@operation("kms", "ReEncrypt", read_only=True)
def re_encrypt(call):
    params = call.params
    blob = _ciphertext(params)
    source_algorithm = _encryption_algorithm(params, "SourceEncryptionAlgorithm")
    destination_algorithm = _encryption_algorithm(params, "DestinationEncryptionAlgorithm")
    source_context = params.get("SourceEncryptionContext")
    destination_context = params.get("DestinationEncryptionContext")
    check_grant_tokens(call)

    source, material = _key_for_ciphertext(call, blob, params.get("SourceKeyId"), "kms:ReEncryptFrom")
    destination = resolve_key(call, params["DestinationKeyId"], action="kms:ReEncryptTo")
    same_key = {"kms:ReEncryptOnSameKey": source.pk == destination.pk}
    authorize_key(call, source, "kms:ReEncryptFrom", encryption_context=source_context,
                  extra_context={**same_key, "kms:EncryptionAlgorithm": source_algorithm})
    authorize_key(call, destination, "kms:ReEncryptTo", encryption_context=destination_context,
                  extra_context={**same_key, "kms:EncryptionAlgorithm": destination_algorithm})
    common.require_state(source, "ReEncrypt")
    common.require_state(destination, "ReEncrypt")
    _require_decrypting_key(source, "ReEncrypt")
    _require_usage(destination, crypto.ENCRYPT_DECRYPT, "ReEncrypt")
    _check_algorithm(destination, destination_algorithm)
    if params.get("DryRun"):
        _check_algorithm(source, source_algorithm)
        _dry_run(call)

    plaintext = _decrypt_with(source, material, blob, source_algorithm, source_context)
    new_blob, destination_material_id = _encrypt_with(destination, plaintext, destination_algorithm,
                                                      destination_context)
    return {
        "CiphertextBlob": new_blob,
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": source_algorithm,
        "DestinationEncryptionAlgorithm": destination_algorithm,
        "SourceKeyMaterialId": material.material_id if source.key_spec == SYMMETRIC_DEFAULT else None,
        "DestinationKeyMaterialId": destination_material_id,
    }


# ----------------------------------------------------------------------------------------------------------
# Data keys, data key pairs, random bytes
# ----------------------------------------------------------------------------------------------------------


def _data_key_length(params: dict) -> int:
    key_spec, number_of_bytes = params.get("KeySpec"), params.get("NumberOfBytes")
    if (key_spec is None) == (number_of_bytes is None):
        raise errors.ValidationException("Please specify either number of bytes or key spec.")
    return _DATA_KEY_BYTES[key_spec] if key_spec else number_of_bytes


def _generate_data_key(call, operation_name: str, *, with_plaintext: bool) -> dict:
    params = call.params
    _refuse_unsupported_members(call)
    length = _data_key_length(params)
    context = params.get("EncryptionContext")
    check_grant_tokens(call)
    key = _use_key(call, params["KeyId"], operation_name, f"kms:{operation_name}", encryption_context=context,
                   extra_context={"kms:EncryptionAlgorithm": SYMMETRIC_DEFAULT})
    _require_symmetric(key, operation_name)
    _dry_run(call)
    with crypto_errors():
        data_key = crypto.generate_data_key(length)
    blob, material_id = _encrypt_symmetric(key, data_key, context)
    result = {"CiphertextBlob": blob, "KeyId": key.arn, "KeyMaterialId": material_id}
    if with_plaintext:
        result["Plaintext"] = data_key
    return result


@operation("kms", "GenerateDataKey", read_only=True)
def generate_data_key(call):
    return _generate_data_key(call, "GenerateDataKey", with_plaintext=True)


@operation("kms", "GenerateDataKeyWithoutPlaintext", read_only=True)
def generate_data_key_without_plaintext(call):
    return _generate_data_key(call, "GenerateDataKeyWithoutPlaintext", with_plaintext=False)


def _generate_data_key_pair(call, operation_name: str, *, with_plaintext: bool) -> dict:
    params = call.params
    _refuse_unsupported_members(call)
    pair_spec = params["KeyPairSpec"]
    context = params.get("EncryptionContext")
    check_grant_tokens(call)
    key = _use_key(call, params["KeyId"], operation_name, f"kms:{operation_name}", encryption_context=context,
                   extra_context={"kms:DataKeyPairSpec": pair_spec, "kms:EncryptionAlgorithm": SYMMETRIC_DEFAULT})
    _require_symmetric(key, operation_name)
    if pair_spec not in crypto.DATA_KEY_PAIR_SPECS:
        raise errors.UnsupportedOperationException(f"KeyPairSpec {pair_spec} is not supported by this KMS.")
    _dry_run(call)
    with crypto_errors():
        private_der, public_der = crypto.generate_data_key_pair(pair_spec)
    blob, material_id = _encrypt_symmetric(key, private_der, context)
    result = {"PrivateKeyCiphertextBlob": blob, "PublicKey": public_der, "KeyId": key.arn,
              "KeyPairSpec": pair_spec, "KeyMaterialId": material_id}
    if with_plaintext:
        result["PrivateKeyPlaintext"] = private_der
    return result


@operation("kms", "GenerateDataKeyPair", read_only=True)
def generate_data_key_pair(call):
    return _generate_data_key_pair(call, "GenerateDataKeyPair", with_plaintext=True)


@operation("kms", "GenerateDataKeyPairWithoutPlaintext", read_only=True)
def generate_data_key_pair_without_plaintext(call):
    return _generate_data_key_pair(call, "GenerateDataKeyPairWithoutPlaintext", with_plaintext=False)


@operation("kms", "GenerateRandom", read_only=True)
def generate_random(call):
    params = call.params
    _refuse_unsupported_members(call)
    if params.get("CustomKeyStoreId"):
        raise errors.UnsupportedOperationException("Custom key stores are not supported by this KMS.")
    if params.get("NumberOfBytes") is None:
        raise errors.ValidationException("NumberOfBytes is required.")
    authorize_account_action(call, "kms:GenerateRandom")
    with crypto_errors():
        return {"Plaintext": crypto.generate_random(params["NumberOfBytes"])}


# ----------------------------------------------------------------------------------------------------------
# Signatures, MACs, public keys, key agreement
# ----------------------------------------------------------------------------------------------------------


def _signing_key(call, operation_name: str) -> Key:
    params = call.params
    check_grant_tokens(call)
    key = _use_key(call, params["KeyId"], operation_name, f"kms:{operation_name}", extra_context={
        "kms:SigningAlgorithm": params["SigningAlgorithm"],
        "kms:MessageType": params.get("MessageType") or crypto.RAW,
    })
    _require_usage(key, crypto.SIGN_VERIFY, operation_name)
    _check_algorithm(key, params["SigningAlgorithm"])
    return key


@operation("kms", "Sign", read_only=True)
def sign(call):
    params = call.params
    key = _signing_key(call, "Sign")
    _dry_run(call)
    with crypto_errors():
        signature = crypto.sign(key.key_spec, _current_material(key).material, params["SigningAlgorithm"],
                                params["Message"], params.get("MessageType") or crypto.RAW)
    return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": params["SigningAlgorithm"]}


@operation("kms", "Verify", read_only=True)
def verify(call):
    params = call.params
    key = _signing_key(call, "Verify")
    _dry_run(call)
    with crypto_errors():
        crypto.verify(key.key_spec, _current_material(key).material, params["SigningAlgorithm"], params["Message"],
                      params["Signature"], params.get("MessageType") or crypto.RAW)
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": params["SigningAlgorithm"]}


def _mac_key(call, operation_name: str) -> Key:
    params = call.params
    check_grant_tokens(call)
    key = _use_key(call, params["KeyId"], operation_name, f"kms:{operation_name}",
                   extra_context={"kms:MacAlgorithm": params["MacAlgorithm"]})
    _require_usage(key, crypto.GENERATE_VERIFY_MAC, operation_name)
    _check_algorithm(key, params["MacAlgorithm"])
    return key


@operation("kms", "GenerateMac", read_only=True)
def generate_mac(call):
    params = call.params
    key = _mac_key(call, "GenerateMac")
    _dry_run(call)
    with crypto_errors():
        mac = crypto.generate_mac(key.key_spec, _current_material(key).material, params["MacAlgorithm"],
                                  params["Message"])
    return {"Mac": mac, "MacAlgorithm": params["MacAlgorithm"], "KeyId": key.arn}


@operation("kms", "VerifyMac", read_only=True)
def verify_mac(call):
    params = call.params
    key = _mac_key(call, "VerifyMac")
    _dry_run(call)
    with crypto_errors():
        crypto.verify_mac(key.key_spec, _current_material(key).material, params["MacAlgorithm"], params["Message"],
                          params["Mac"])
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": params["MacAlgorithm"]}


@operation("kms", "GetPublicKey", read_only=True)
def get_public_key(call):
    params = call.params
    check_grant_tokens(call)
    key = _use_key(call, params["KeyId"], "GetPublicKey", "kms:GetPublicKey")
    if crypto.key_spec_info(key.key_spec).key_type != crypto.ASYMMETRIC:
        raise errors.UnsupportedOperationException(
            f"{key.arn} key spec is {key.key_spec} which is not valid for GetPublicKey.")
    with crypto_errors():
        public_key = crypto.public_key_der(key.key_spec, _current_material(key).material)
    return {
        "KeyId": key.arn,
        "PublicKey": public_key,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "KeyUsage": key.key_usage,
        **crypto.key_spec_info(key.key_spec).describe_algorithms(key.key_usage),
    }


@operation("kms", "DeriveSharedSecret", read_only=True)
def derive_shared_secret(call):
    params = call.params
    _refuse_unsupported_members(call)
    algorithm = params["KeyAgreementAlgorithm"]
    check_grant_tokens(call)
    key = _use_key(call, params["KeyId"], "DeriveSharedSecret", "kms:DeriveSharedSecret",
                   extra_context={"kms:KeyAgreementAlgorithm": algorithm})
    _require_usage(key, crypto.KEY_AGREEMENT, "DeriveSharedSecret")
    _check_algorithm(key, algorithm)
    _dry_run(call)
    try:
        secret = crypto.derive_shared_secret(key.key_spec, _current_material(key).material, params["PublicKey"])
    except crypto.CryptoValidationError:
        # A peer key that is not a public key on the key's curve: AWS answers with no message at all.
        raise errors.ValidationException("", field="PublicKey") from None
    return {"KeyId": key.arn, "SharedSecret": secret, "KeyAgreementAlgorithm": algorithm, "KeyOrigin": key.origin}
