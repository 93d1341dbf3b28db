"""Encapsulate and Decapsulate: ML-KEM key pairs (KeyUsage ENCAPSULATE_DECAPSULATE) establishing a shared secret.

Encapsulate makes a fresh shared secret and its ciphertext with the public half; Decapsulate recovers the same
secret from that ciphertext with the private half. Both work across accounts (by key or alias ARN), like the
other cryptographic operations, and take the same steps: resolve, authorise, key state, usage, then act.
"""

from __future__ import annotations

from awsapi.dispatch import operation
from keys import crypto
from keys.operations.cryptographic import (_check_algorithm, _current_material, _dry_run, _require_usage, _use_key,
                                           crypto_errors)
from keys.operations.grants import check_grant_tokens

ALGORITHM = "ML_KEM"


def _encapsulation_key(call, operation_name: str):
    algorithm = call.params.get("EncapsulationAlgorithm") or ALGORITHM
    check_grant_tokens(call)
    key = _use_key(call, call.params["KeyId"], operation_name, f"kms:{operation_name}")
    _require_usage(key, crypto.ENCAPSULATE_DECAPSULATE, operation_name)
    _check_algorithm(key, algorithm)
    return key, algorithm


@operation("kms", "Encapsulate", read_only=True)
def encapsulate(call):
    key, algorithm = _encapsulation_key(call, "Encapsulate")
    _dry_run(call)
    with crypto_errors():
        secret, ciphertext = crypto.encapsulate(key.key_spec, _current_material(key).material)
    return {"KeyId": key.arn, "SharedSecret": secret, "SharedSecretCiphertextBlob": ciphertext,
            "EncapsulationAlgorithm": algorithm}


@operation("kms", "Decapsulate", read_only=True)
def decapsulate(call):
    key, algorithm = _encapsulation_key(call, "Decapsulate")
    _dry_run(call)
    with crypto_errors():
        secret = crypto.decapsulate(key.key_spec, _current_material(key).material,
                                    call.params["SharedSecretCiphertextBlob"])
    return {"KeyId": key.arn, "SharedSecret": secret, "EncapsulationAlgorithm": algorithm}
