"""The wrapping side of importing key material (GetParametersForImport / ImportKeyMaterial): RSA wrapping key
pairs, import tokens, and unwrapping what the client wrapped.

No Django models and no database: an import token carries everything ImportKeyMaterial needs (the key it
was issued for, the wrapping algorithm and spec, when it stops being valid, and the private half of the
wrapping key pair), sealed under the master key (kmsconsole.sealing), so it is opaque and authenticated
and nothing has to be kept or cleaned up server-side. Nothing here logs, and no error carries key bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from kmsconsole import sealing

PARAMETERS_LIFETIME = dt.timedelta(hours=24)

WRAPPING_KEY_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
# The algorithms AWS accepts today, in its model's order; RSAES_PKCS1_V1_5 was withdrawn in October 2023 and
# SM2PKE / SM2 exist only in the China Regions.
WRAPPING_ALGORITHMS = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256")
_TOKEN_PREFIX = b"kmsconsole-import-token-1\n"


class InvalidToken(Exception):
    """Not an import token of ours, or tampered with (-> InvalidImportTokenException)."""


class UnwrapFailed(Exception):
    """The wrapped material does not open with the token's private key (-> InvalidCiphertextException)."""


@dataclass(frozen=True)
class ImportParameters:
    key_arn: str
    wrapping_algorithm: str
    wrapping_key_spec: str
    valid_to: dt.datetime
    private_key_der: bytes

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.valid_to


def new_parameters(key_arn: str, wrapping_algorithm: str, wrapping_key_spec: str,
                   now: dt.datetime) -> tuple[bytes, bytes, ImportParameters]:
    """A fresh wrapping key pair for one import: (public key DER, import token, the parameters)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=WRAPPING_KEY_BITS[wrapping_key_spec])
    parameters = ImportParameters(
        key_arn=key_arn, wrapping_algorithm=wrapping_algorithm, wrapping_key_spec=wrapping_key_spec,
        valid_to=(now + PARAMETERS_LIFETIME).replace(microsecond=0),
        private_key_der=private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()),
    )
    public_key = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return public_key, seal_token(parameters), parameters


def seal_token(parameters: ImportParameters) -> bytes:
    header = json.dumps({
        "key": parameters.key_arn, "algorithm": parameters.wrapping_algorithm,
        "spec": parameters.wrapping_key_spec, "validTo": parameters.valid_to.timestamp(),
    }, separators=(",", ":")).encode()
    return sealing.seal(_TOKEN_PREFIX + header + b"\n" + parameters.private_key_der)


def open_token(token: bytes) -> ImportParameters:
    try:
        opened = sealing.unseal(bytes(token))
    except Exception:  # any token we did not seal (wrong bytes, tampered, another master key)
        raise InvalidToken() from None
    if not opened.startswith(_TOKEN_PREFIX):
        raise InvalidToken()
    header, _, private_key_der = opened[len(_TOKEN_PREFIX):].partition(b"\n")
    try:
        fields = json.loads(header)
        return ImportParameters(
            key_arn=fields["key"], wrapping_algorithm=fields["algorithm"], wrapping_key_spec=fields["spec"],
            valid_to=dt.datetime.fromtimestamp(fields["validTo"], tz=dt.timezone.utc),
            private_key_der=private_key_der,
        )
    except (ValueError, KeyError, TypeError):
        raise InvalidToken() from None


def unwrap(parameters: ImportParameters, wrapped: bytes) -> bytes:
    """The key material the client wrapped with the token's public key and algorithm."""
    private_key = serialization.load_der_private_key(parameters.private_key_der, password=None)
    algorithm = parameters.wrapping_algorithm
    digest = hashes.SHA256() if algorithm.endswith("SHA_256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)
    wrapped = bytes(wrapped)
    try:
        if algorithm.startswith("RSAES_OAEP"):
            return private_key.decrypt(wrapped, oaep)
        # RSA_AES_KEY_WRAP: an OAEP-wrapped ephemeral AES key, then the material under it (RFC 5649).
        rsa_part = private_key.key_size // 8
        if len(wrapped) <= rsa_part:
            raise UnwrapFailed()
        aes_key = private_key.decrypt(wrapped[:rsa_part], oaep)
        if len(aes_key) not in (16, 24, 32):
            raise UnwrapFailed()
        return aes_key_unwrap_with_padding(aes_key, wrapped[rsa_part:])
    except (ValueError, InvalidUnwrap):
        raise UnwrapFailed() from None
