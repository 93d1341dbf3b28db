"""Cryptography behind the emulated KMS keys: bytes in, bytes out.

Pure Python on top of the `cryptography` package (no primitive is written here) and no Django, so the API
layer, the console and the tests all share exactly one implementation. Nothing in this module logs, and no
exception message ever carries key material, plaintext or a secret.

Sections: errors · key spec catalogue · master key envelope · key material · symmetric ciphertext blobs ·
RSA encryption · signing · key agreement · HMAC · data keys.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.exceptions import InvalidSignature as _LibraryInvalidSignature
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# --------------------------------------------------------------------------------------------------------------
# Errors. The API layer maps them to AWS error codes; InvalidCiphertext, InvalidSignature and InvalidMac carry no
# message because AWS sends none for them.
# --------------------------------------------------------------------------------------------------------------


class InvalidCiphertext(Exception):
    """Ciphertext is malformed, tampered with, or does not match the key / encryption context
    (-> InvalidCiphertextException, empty message)."""


class InvalidSignature(Exception):
    """A signature does not verify (-> KMSInvalidSignatureException, empty message)."""


class InvalidMac(Exception):
    """A MAC does not verify (-> KMSInvalidMacException, empty message)."""


class UnavailableAlgorithm(Exception):
    """An algorithm AWS offers that this installation cannot perform (-> UnsupportedOperationException)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CryptoValidationError(Exception):
    """A request the key cannot serve as asked (-> ValidationException); `message` is AWS's text."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class IncompatibleAlgorithm(CryptoValidationError):
    """The algorithm does not belong to the key's spec (-> InvalidKeyUsageException, same message)."""


class UnsealError(Exception):
    """Stored data cannot be opened with any KMSCONSOLE_MASTER_KEY entry: a server configuration problem,
    never a client error."""


# --------------------------------------------------------------------------------------------------------------
# Key spec catalogue (kms.md §6.1): what CreateKey accepts and what DescribeKey / GetPublicKey report.
# --------------------------------------------------------------------------------------------------------------

SYMMETRIC = "symmetric"
ASYMMETRIC = "asymmetric"
HMAC = "hmac"

ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"
ENCAPSULATE_DECAPSULATE = "ENCAPSULATE_DECAPSULATE"

# DescribeKey / GetPublicKey field that lists the algorithms of each key usage.
ALGORITHM_FIELD_BY_USAGE = MappingProxyType(
    {
        ENCRYPT_DECRYPT: "EncryptionAlgorithms",
        SIGN_VERIFY: "SigningAlgorithms",
        GENERATE_VERIFY_MAC: "MacAlgorithms",
        KEY_AGREEMENT: "KeyAgreementAlgorithms",
        ENCAPSULATE_DECAPSULATE: "EncapsulationAlgorithms",
    }
)

_RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
# The order AWS lists them in DescribeKey.
_RSA_SIGNING = (
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
)


@dataclass(frozen=True)
class KeySpecInfo:
    name: str
    key_type: str  # SYMMETRIC | ASYMMETRIC | HMAC
    algorithms_by_usage: Mapping[str, tuple[str, ...]]  # allowed KeyUsage -> its algorithms, default usage first
    rsa_key_size: int | None = None
    curve: type[ec.EllipticCurve] | None = field(default=None, repr=False)
    hmac_key_length: int | None = None  # bytes
    # Ed25519, ML-DSA and ML-KEM: the `cryptography` private key class that generates and holds the pair.
    key_class: type | None = field(default=None, repr=False)

    @property
    def key_usages(self) -> tuple[str, ...]:
        return tuple(self.algorithms_by_usage)

    def algorithms(self, key_usage: str) -> tuple[str, ...]:
        return self.algorithms_by_usage.get(key_usage, ())

    def describe_algorithms(self, key_usage: str) -> dict[str, list[str]]:
        """The algorithm list DescribeKey reports for a key of this spec and usage, e.g.
        {"SigningAlgorithms": ["ECDSA_SHA_256"]}; empty for a usage the spec does not allow."""
        algorithms = self.algorithms(key_usage)
        if not algorithms:
            return {}
        return {ALGORITHM_FIELD_BY_USAGE[key_usage]: list(algorithms)}


def _spec(name, key_type, usages, **details) -> KeySpecInfo:
    return KeySpecInfo(name, key_type, MappingProxyType(dict(usages)), **details)


def _rsa_spec(bits: int) -> KeySpecInfo:
    usages = {ENCRYPT_DECRYPT: _RSA_ENCRYPTION, SIGN_VERIFY: _RSA_SIGNING}
    return _spec(f"RSA_{bits}", ASYMMETRIC, usages, rsa_key_size=bits)


def _ecc_spec(name: str, curve, signing: str, key_agreement: bool) -> KeySpecInfo:
    usages = {SIGN_VERIFY: (signing,)}
    if key_agreement:
        usages[KEY_AGREEMENT] = ("ECDH",)
    return _spec(name, ASYMMETRIC, usages, curve=curve)


def _hmac_spec(bits: int) -> KeySpecInfo:
    usages = {GENERATE_VERIFY_MAC: (f"HMAC_SHA_{bits}",)}
    # Key length is the digest size, as AWS generates for each HMAC spec.
    return _spec(f"HMAC_{bits}", HMAC, usages, hmac_key_length=bits // 8)


def _class_spec(name: str, key_class, usages) -> KeySpecInfo:
    return _spec(name, ASYMMETRIC, usages, key_class=key_class)


KEY_SPECS: Mapping[str, KeySpecInfo] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            _spec("SYMMETRIC_DEFAULT", SYMMETRIC, {ENCRYPT_DECRYPT: ("SYMMETRIC_DEFAULT",)}),
            _rsa_spec(2048),
            _rsa_spec(3072),
            _rsa_spec(4096),
            _ecc_spec("ECC_NIST_P256", ec.SECP256R1, "ECDSA_SHA_256", key_agreement=True),
            _ecc_spec("ECC_NIST_P384", ec.SECP384R1, "ECDSA_SHA_384", key_agreement=True),
            _ecc_spec("ECC_NIST_P521", ec.SECP521R1, "ECDSA_SHA_512", key_agreement=True),
            _ecc_spec("ECC_SECG_P256K1", ec.SECP256K1, "ECDSA_SHA_256", key_agreement=False),
            _class_spec("ECC_NIST_EDWARDS25519", ed25519.Ed25519PrivateKey,
                        {SIGN_VERIFY: ("ED25519_SHA_512", "ED25519_PH_SHA_512")}),
            _class_spec("ML_DSA_44", mldsa.MLDSA44PrivateKey, {SIGN_VERIFY: ("ML_DSA_SHAKE_256",)}),
            _class_spec("ML_DSA_65", mldsa.MLDSA65PrivateKey, {SIGN_VERIFY: ("ML_DSA_SHAKE_256",)}),
            _class_spec("ML_DSA_87", mldsa.MLDSA87PrivateKey, {SIGN_VERIFY: ("ML_DSA_SHAKE_256",)}),
            # ML_KEM_512 is missing: the pinned `cryptography` (50.0) implements ML-KEM-768 and -1024 only.
            _class_spec("ML_KEM_768", mlkem.MLKEM768PrivateKey, {ENCAPSULATE_DECAPSULATE: ("ML_KEM",)}),
            _class_spec("ML_KEM_1024", mlkem.MLKEM1024PrivateKey, {ENCAPSULATE_DECAPSULATE: ("ML_KEM",)}),
            _hmac_spec(224),
            _hmac_spec(256),
            _hmac_spec(384),
            _hmac_spec(512),
        )
    }
)

# GenerateDataKeyPair's KeyPairSpec values this emulator serves.
DATA_KEY_PAIR_SPECS = (
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_768",
    "ML_KEM_1024",
)
# Specs AWS offers that this installation cannot serve, and why (CreateKey and GenerateDataKeyPair say so).
UNAVAILABLE_SPECS = MappingProxyType({
    "ML_KEM_512": "the cryptography library this installation runs on has no ML-KEM-512",
})


def key_spec_info(key_spec: str) -> KeySpecInfo:
    try:
        return KEY_SPECS[key_spec]
    except (KeyError, TypeError):
        if key_spec in UNAVAILABLE_SPECS:
            raise UnavailableAlgorithm(f"KeySpec {key_spec} is not available in this installation: "
                                       f"{UNAVAILABLE_SPECS[key_spec]}.") from None
        raise CryptoValidationError(f"KeySpec {key_spec} is not supported.") from None


def resolve_key_usage(key_spec: str, key_usage: str | None) -> str:
    """CreateKey's rule: KeyUsage defaults to ENCRYPT_DECRYPT only for symmetric keys; otherwise it must be
    given and be one the spec allows. Returns the usage to store."""
    spec = key_spec_info(key_spec)
    if key_usage is None:
        if spec.key_type != SYMMETRIC:
            raise CryptoValidationError(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
            )
        return ENCRYPT_DECRYPT
    if key_usage not in spec.algorithms_by_usage:
        raise CryptoValidationError(f"KeyUsage {key_usage} is not compatible with KeySpec {key_spec}")
    return key_usage


def check_algorithm(key_spec: str, key_usage: str, algorithm: str) -> None:
    """Raise IncompatibleAlgorithm unless `algorithm` is one a key of this spec and usage performs."""
    if algorithm not in key_spec_info(key_spec).algorithms(key_usage):
        raise IncompatibleAlgorithm(f"Algorithm {algorithm} is incompatible with key spec {key_spec}.")


def _spec_of_type(key_spec: str, key_type: str) -> KeySpecInfo:
    spec = key_spec_info(key_spec)
    if spec.key_type != key_type:
        raise CryptoValidationError(f"Key spec {key_spec} does not support this operation.")
    return spec


# --------------------------------------------------------------------------------------------------------------
# Master key envelope: KMSCONSOLE_MASTER_KEY is exactly a Fernet key list (first encrypts, all decrypt).
# --------------------------------------------------------------------------------------------------------------

_MASTER_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}=")


def generate_master_key() -> str:
    return Fernet.generate_key().decode("ascii")


def master_cipher(value: str | None) -> MultiFernet:
    """Build the cipher from KMSCONSOLE_MASTER_KEY. Error messages name the entry, never its value."""
    if not value or not value.strip():
        raise ValueError("KMSCONSOLE_MASTER_KEY is not set or empty.")
    entries = [entry.strip() for entry in value.split(",")]
    for position, entry in enumerate(entries, start=1):
        if not _is_master_key(entry):
            raise ValueError(
                f"KMSCONSOLE_MASTER_KEY entry {position} of {len(entries)} is not 32 bytes in URL-safe base64 "
                "(44 characters ending in '='); generate one with keys.crypto.generate_master_key()."
            )
    return MultiFernet([Fernet(entry) for entry in entries])


def _is_master_key(entry: str) -> bool:
    # Checked strictly here because base64 decoding elsewhere quietly skips stray characters.
    if not _MASTER_KEY_SHAPE.fullmatch(entry):
        return False
    try:
        return len(base64.urlsafe_b64decode(entry)) == 32
    except (binascii.Error, ValueError):
        return False


def seal(cipher: MultiFernet, data: bytes) -> bytes:
    return cipher.encrypt(data)


def unseal(cipher: MultiFernet, token: bytes) -> bytes:
    try:
        return cipher.decrypt(token)
    except InvalidToken:
        raise UnsealError(
            "Stored data cannot be opened with any KMSCONSOLE_MASTER_KEY entry (wrong key list, or damaged data)."
        ) from None


def reseal(cipher: MultiFernet, token: bytes) -> bytes:
    """Re-encrypt a stored token under the first (current) master key, for retiring an old one."""
    try:
        return cipher.rotate(token)
    except InvalidToken:
        raise UnsealError("Stored data cannot be opened with any KMSCONSOLE_MASTER_KEY entry.") from None


# --------------------------------------------------------------------------------------------------------------
# Key material
# --------------------------------------------------------------------------------------------------------------


def new_material_id() -> str:
    """64 lower-case hex characters, the shape of AWS's KeyMaterialId."""
    return secrets.token_hex(32)


def generate_key_material(key_spec: str) -> bytes:
    """Fresh material: raw bytes for symmetric and HMAC specs, PKCS#8 DER for asymmetric ones."""
    spec = key_spec_info(key_spec)
    if spec.key_type == SYMMETRIC:
        return secrets.token_bytes(32)
    if spec.key_type == HMAC:
        return secrets.token_bytes(spec.hmac_key_length)
    return _pkcs8_der(_generate_private_key(spec))


def _generate_private_key(spec: KeySpecInfo):
    if spec.key_class is not None:
        return spec.key_class.generate()
    if spec.rsa_key_size:
        return rsa.generate_private_key(public_exponent=65537, key_size=spec.rsa_key_size)
    return ec.generate_private_key(spec.curve())


def _pkcs8_der(private_key) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _spki_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_der(key_spec: str, material: bytes) -> bytes:
    """X.509 SubjectPublicKeyInfo DER, as GetPublicKey returns it."""
    return _spki_der(_private_key(key_spec, material).public_key())


def _private_key(key_spec: str, material: bytes):
    spec = _spec_of_type(key_spec, ASYMMETRIC)
    key = _load_pkcs8(bytes(material))
    if spec.key_class is not None:
        matches = isinstance(key, spec.key_class)
    elif spec.rsa_key_size:
        matches = isinstance(key, rsa.RSAPrivateKey) and key.key_size == spec.rsa_key_size
    else:
        matches = isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == spec.curve.name
    if not matches:
        raise ValueError(f"Stored key material does not match key spec {key_spec}.")
    return key


@functools.lru_cache(maxsize=256)
def _load_pkcs8(material: bytes):
    # Parsing (and RSA's consistency check) costs far more than the operation itself; the cache keeps the
    # parsed keys that this process already holds as bytes, nothing new.
    return serialization.load_der_private_key(material, password=None)


# --------------------------------------------------------------------------------------------------------------
# Symmetric ciphertext blobs (SYMMETRIC_DEFAULT, AES-256-GCM)
#
#   offset  size  content
#   0       5     01 02 02 00 78            version prefix, as AWS's blobs (base64 "AQICAH...")
#   5       32    key material id           raw bytes of the 64-hex KeyMaterialId
#   37      1     key id form               01 UUID, 02 "mrk-" + 32 hex, 03 other text
#   38      16    key id                    (form 03: 1 length byte, then that many UTF-8 bytes)
#   54      4     N, big-endian             length of the rest
#   58      N     12-byte IV || AES-GCM ciphertext || 16-byte tag
#
# The associated data is everything before the IV followed by the canonical encryption context, so the tag
# fails if the header, the key id, the material id or the context changes.
# --------------------------------------------------------------------------------------------------------------

BLOB_PREFIX = bytes([0x01, 0x02, 0x02, 0x00, 0x78])
_IV_SIZE = 12
_TAG_SIZE = 16
_LENGTH_SIZE = 4
_KEY_ID_UUID, _KEY_ID_MRK, _KEY_ID_TEXT = 0x01, 0x02, 0x03
_UUID_KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MRK_KEY_ID = re.compile(r"mrk-[0-9a-f]{32}")
_MATERIAL_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobHeader:
    key_id: str
    material_id: str


@dataclass(frozen=True)
class _ParsedBlob:
    header: BlobHeader
    associated_prefix: bytes  # every byte before the IV
    iv: bytes
    sealed: bytes  # ciphertext || tag


def encrypt_symmetric(
    material: bytes,
    key_id: str,
    material_id: str,
    plaintext: bytes,
    encryption_context: Mapping[str, str] | None,
) -> bytes:
    _check_symmetric_material(material)
    header = BLOB_PREFIX + _encode_material_id(material_id) + _encode_key_id(key_id)
    prefix = header + (_IV_SIZE + len(plaintext) + _TAG_SIZE).to_bytes(_LENGTH_SIZE, "big")
    iv = secrets.token_bytes(_IV_SIZE)
    sealed = AESGCM(material).encrypt(iv, plaintext, prefix + canonical_encryption_context(encryption_context))
    return prefix + iv + sealed


def read_blob_header(blob: bytes) -> BlobHeader:
    """Which key and which of its materials produced this blob; InvalidCiphertext if it is not one of ours."""
    return _parse_blob(blob).header


def decrypt_symmetric(material: bytes, blob: bytes, encryption_context: Mapping[str, str] | None) -> bytes:
    _check_symmetric_material(material)
    parsed = _parse_blob(blob)
    associated_data = parsed.associated_prefix + canonical_encryption_context(encryption_context)
    try:
        return AESGCM(material).decrypt(parsed.iv, parsed.sealed, associated_data)
    except InvalidTag:
        raise InvalidCiphertext() from None


def _check_symmetric_material(material: bytes) -> None:
    # AESGCM would also take 16 or 24 bytes; SYMMETRIC_DEFAULT is AES-256 only.
    if len(material) != 32:
        raise ValueError("SYMMETRIC_DEFAULT key material must be 32 bytes.")


def canonical_encryption_context(encryption_context: Mapping[str, str] | None) -> bytes:
    """Sorted keys, exact case, so pair order never matters and every other difference does.
    None and {} are the same context, as on AWS."""
    context = dict(encryption_context or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in context.items()):
        raise CryptoValidationError("Encryption context keys and values must be strings.")
    # ensure_ascii escapes every non-ASCII character, so lone surrogates from JSON cannot break the encoding.
    return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _encode_material_id(material_id: str) -> bytes:
    if not isinstance(material_id, str) or not _MATERIAL_ID.fullmatch(material_id):
        raise ValueError("Key material id must be 64 lower-case hex characters (see new_material_id()).")
    return bytes.fromhex(material_id)


def _encode_key_id(key_id: str) -> bytes:
    if _UUID_KEY_ID.fullmatch(key_id):
        return bytes([_KEY_ID_UUID]) + bytes.fromhex(key_id.replace("-", ""))
    if _MRK_KEY_ID.fullmatch(key_id):
        return bytes([_KEY_ID_MRK]) + bytes.fromhex(key_id[4:])
    text = key_id.encode("utf-8")
    if not 0 < len(text) < 256:
        raise ValueError("Key id must be 1 to 255 bytes of UTF-8.")
    return bytes([_KEY_ID_TEXT, len(text)]) + text


def _parse_blob(blob: bytes) -> _ParsedBlob:
    try:
        return _parse_blob_strictly(bytes(blob))
    except (IndexError, ValueError, TypeError):
        raise InvalidCiphertext() from None


def _parse_blob_strictly(blob: bytes) -> _ParsedBlob:
    if not blob.startswith(BLOB_PREFIX):
        raise ValueError("prefix")
    position = len(BLOB_PREFIX)
    material_id = blob[position : position + 32].hex()
    position += 32
    key_id, position = _decode_key_id(blob, position)
    declared = int.from_bytes(blob[position : position + _LENGTH_SIZE], "big")
    position += _LENGTH_SIZE
    if len(material_id) != 64 or declared < _IV_SIZE + _TAG_SIZE or len(blob) - position != declared:
        raise ValueError("length")
    return _ParsedBlob(
        header=BlobHeader(key_id=key_id, material_id=material_id),
        associated_prefix=blob[:position],
        iv=blob[position : position + _IV_SIZE],
        sealed=blob[position + _IV_SIZE :],
    )


def _decode_key_id(blob: bytes, position: int) -> tuple[str, int]:
    form = blob[position]
    position += 1
    if form in (_KEY_ID_UUID, _KEY_ID_MRK):
        raw = blob[position : position + 16]
        if len(raw) != 16:
            raise ValueError("key id")
        text = raw.hex()
        if form == _KEY_ID_MRK:
            return f"mrk-{text}", position + 16
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}", position + 16
    if form == _KEY_ID_TEXT:
        length = blob[position]
        raw = blob[position + 1 : position + 1 + length]
        if length == 0 or len(raw) != length:
            raise ValueError("key id")
        return raw.decode("utf-8"), position + 1 + length
    raise ValueError("key id form")


# --------------------------------------------------------------------------------------------------------------
# RSA encryption (RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256). The ciphertext is the bare OAEP output, as on AWS.
# --------------------------------------------------------------------------------------------------------------

_OAEP_HASH = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}


def max_plaintext_size(key_spec: str, algorithm: str) -> int:
    """OAEP's limit: modulus bytes - 2 * hash bytes - 2 (RSA_2048 + SHA-256 -> 190)."""
    spec = _spec_of_type(key_spec, ASYMMETRIC)
    check_algorithm(key_spec, ENCRYPT_DECRYPT, algorithm)
    return spec.rsa_key_size // 8 - 2 * _OAEP_HASH[algorithm].digest_size - 2


def encrypt_asymmetric(key_spec: str, material: bytes, algorithm: str, plaintext: bytes) -> bytes:
    limit = max_plaintext_size(key_spec, algorithm)
    if len(plaintext) > limit:
        raise CryptoValidationError(
            f"Algorithm {algorithm} and key spec {key_spec} cannot encrypt data larger than {limit} bytes."
        )
    return _private_key(key_spec, material).public_key().encrypt(plaintext, _oaep(algorithm))


def decrypt_asymmetric(key_spec: str, material: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    check_algorithm(key_spec, ENCRYPT_DECRYPT, algorithm)
    try:
        return _private_key(key_spec, material).decrypt(bytes(ciphertext), _oaep(algorithm))
    except ValueError:
        raise InvalidCiphertext() from None


def _oaep(algorithm: str) -> padding.OAEP:
    digest = _OAEP_HASH[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


# --------------------------------------------------------------------------------------------------------------
# Signing: RSASSA_PSS_*, RSASSA_PKCS1_V1_5_*, ECDSA_SHA_*; MessageType RAW or DIGEST; DER ECDSA signatures.
# --------------------------------------------------------------------------------------------------------------

RAW = "RAW"
DIGEST = "DIGEST"

_SIGNING_HASH = {
    "RSASSA_PSS_SHA_256": hashes.SHA256,
    "RSASSA_PSS_SHA_384": hashes.SHA384,
    "RSASSA_PSS_SHA_512": hashes.SHA512,
    "RSASSA_PKCS1_V1_5_SHA_256": hashes.SHA256,
    "RSASSA_PKCS1_V1_5_SHA_384": hashes.SHA384,
    "RSASSA_PKCS1_V1_5_SHA_512": hashes.SHA512,
    "ECDSA_SHA_256": hashes.SHA256,
    "ECDSA_SHA_384": hashes.SHA384,
    "ECDSA_SHA_512": hashes.SHA512,
}


def sign(key_spec: str, material: bytes, algorithm: str, message: bytes, message_type: str = RAW) -> bytes:
    key = _private_key(key_spec, material)
    check_algorithm(key_spec, SIGN_VERIFY, algorithm)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        _check_ed25519(algorithm, message_type)
        return key.sign(bytes(message))
    if isinstance(key, _MLDSA_PRIVATE):
        if _mldsa_mode(message, message_type) == EXTERNAL_MU:
            return key.sign_mu(bytes(message))
        return key.sign(bytes(message))
    hashing = _message_hashing(algorithm, message, message_type)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(bytes(message), _rsa_signature_padding(algorithm), hashing)
    return key.sign(bytes(message), ec.ECDSA(hashing))


def verify(
    key_spec: str,
    material: bytes,
    algorithm: str,
    message: bytes,
    signature: bytes,
    message_type: str = RAW,
) -> None:
    """Return quietly when the signature is valid; raise InvalidSignature otherwise."""
    private_key = _private_key(key_spec, material)
    public_key = private_key.public_key()
    check_algorithm(key_spec, SIGN_VERIFY, algorithm)
    try:
        if isinstance(private_key, ed25519.Ed25519PrivateKey):
            _check_ed25519(algorithm, message_type)
            public_key.verify(bytes(signature), bytes(message))
            return
        if isinstance(private_key, _MLDSA_PRIVATE):
            if _mldsa_mode(message, message_type) == EXTERNAL_MU:
                public_key.verify_mu(bytes(signature), bytes(message))
            else:
                public_key.verify(bytes(signature), bytes(message))
            return
        hashing = _message_hashing(algorithm, message, message_type)
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(bytes(signature), bytes(message), _rsa_signature_padding(algorithm), hashing)
        else:
            public_key.verify(bytes(signature), bytes(message), ec.ECDSA(hashing))
    except (_LibraryInvalidSignature, ValueError):
        raise InvalidSignature() from None


_MLDSA_PRIVATE = (mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey, mldsa.MLDSA87PrivateKey)
EXTERNAL_MU = "EXTERNAL_MU"
_MU_SIZE = 64  # FIPS 204's message representative


def _check_ed25519(algorithm: str, message_type: str) -> None:
    """ED25519_SHA_512 signs the message itself (RAW). ED25519_PH_SHA_512 (HashEdDSA, MessageType DIGEST) is
    not offered by the `cryptography` library, so it is refused rather than hand-built here."""
    if algorithm == "ED25519_PH_SHA_512":
        raise UnavailableAlgorithm("ED25519_PH_SHA_512 is not available in this installation: its cryptography "
                                   "library implements Ed25519 (ED25519_SHA_512) but not Ed25519ph.")
    if message_type != RAW:
        raise CryptoValidationError(f"The {algorithm} signing algorithm requires MessageType RAW.")


def _mldsa_mode(message: bytes, message_type: str) -> str:
    if message_type == EXTERNAL_MU:
        if len(message) != _MU_SIZE:
            raise CryptoValidationError("Message must be a 64-byte mu when MessageType is EXTERNAL_MU.")
        return EXTERNAL_MU
    if message_type != RAW:
        raise CryptoValidationError("The ML_DSA_SHAKE_256 signing algorithm requires MessageType RAW or EXTERNAL_MU.")
    return RAW


def _message_hashing(algorithm: str, message: bytes, message_type: str):
    """The hash for RAW messages; for DIGEST ones, the pre-hashed marker after checking the digest's length."""
    digest = _SIGNING_HASH[algorithm]()
    if message_type == RAW:
        return digest
    if message_type == DIGEST:
        if len(message) != digest.digest_size:
            raise CryptoValidationError(f"Digest is invalid length for algorithm {algorithm}.")
        return Prehashed(digest)
    raise CryptoValidationError(f"MessageType {message_type} is not supported for algorithm {algorithm}.")


def _rsa_signature_padding(algorithm: str):
    if algorithm.startswith("RSASSA_PSS_"):
        # AWS uses a salt as long as the digest (not cryptography's default of the maximum).
        digest = _SIGNING_HASH[algorithm]()
        return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    return padding.PKCS1v15()


# --------------------------------------------------------------------------------------------------------------
# Key agreement (ECDH)
# --------------------------------------------------------------------------------------------------------------


def derive_shared_secret(key_spec: str, material: bytes, peer_public_key_der: bytes) -> bytes:
    key = _private_key(key_spec, material)
    check_algorithm(key_spec, KEY_AGREEMENT, "ECDH")
    peer = _load_peer_public_key(bytes(peer_public_key_der))
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != key.curve.name:
        raise CryptoValidationError(f"PublicKey must be an elliptic curve public key on the curve of {key_spec}.")
    return key.exchange(ec.ECDH(), peer)


def _load_peer_public_key(der: bytes):
    try:
        return serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CryptoValidationError(
            "PublicKey is not a valid DER-encoded X.509 SubjectPublicKeyInfo public key."
        ) from None


# --------------------------------------------------------------------------------------------------------------
# Key encapsulation (ML-KEM, FIPS 203)
# --------------------------------------------------------------------------------------------------------------


def encapsulate(key_spec: str, material: bytes) -> tuple[bytes, bytes]:
    """(shared secret, its ciphertext) made with the key pair's public half."""
    check_algorithm(key_spec, ENCAPSULATE_DECAPSULATE, "ML_KEM")
    return _private_key(key_spec, material).public_key().encapsulate()


def decapsulate(key_spec: str, material: bytes, ciphertext: bytes) -> bytes:
    check_algorithm(key_spec, ENCAPSULATE_DECAPSULATE, "ML_KEM")
    try:
        return _private_key(key_spec, material).decapsulate(bytes(ciphertext))
    except ValueError:  # not a ciphertext of this parameter set (its length is fixed)
        raise InvalidCiphertext() from None


# --------------------------------------------------------------------------------------------------------------
# HMAC
# --------------------------------------------------------------------------------------------------------------

_MAC_HASH = {
    "HMAC_SHA_224": hashes.SHA224,
    "HMAC_SHA_256": hashes.SHA256,
    "HMAC_SHA_384": hashes.SHA384,
    "HMAC_SHA_512": hashes.SHA512,
}


def generate_mac(key_spec: str, material: bytes, algorithm: str, message: bytes) -> bytes:
    mac = _hmac_context(key_spec, material, algorithm)
    mac.update(bytes(message))
    return mac.finalize()


def verify_mac(key_spec: str, material: bytes, algorithm: str, message: bytes, mac: bytes) -> None:
    """Return quietly when the MAC is valid; raise InvalidMac otherwise (constant-time comparison)."""
    context = _hmac_context(key_spec, material, algorithm)
    context.update(bytes(message))
    try:
        context.verify(bytes(mac))
    except _LibraryInvalidSignature:
        raise InvalidMac() from None


def _hmac_context(key_spec: str, material: bytes, algorithm: str) -> _hmac.HMAC:
    _spec_of_type(key_spec, HMAC)
    check_algorithm(key_spec, GENERATE_VERIFY_MAC, algorithm)
    return _hmac.HMAC(bytes(material), _MAC_HASH[algorithm]())


# --------------------------------------------------------------------------------------------------------------
# Data keys and random bytes
# --------------------------------------------------------------------------------------------------------------


def generate_data_key(number_of_bytes: int) -> bytes:
    """Random bytes for GenerateDataKey (AES_128 -> 16, AES_256 -> 32, or NumberOfBytes) and GenerateRandom."""
    if not isinstance(number_of_bytes, int) or isinstance(number_of_bytes, bool):
        raise CryptoValidationError("NumberOfBytes must be an integer.")
    if number_of_bytes < 1:
        raise CryptoValidationError(
            f"1 validation error detected: Value '{number_of_bytes}' at 'numberOfBytes' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1"
        )
    if number_of_bytes > 1024:
        raise CryptoValidationError(
            f"1 validation error detected: Value '{number_of_bytes}' at 'numberOfBytes' failed to satisfy "
            "constraint: Member must have value less than or equal to 1024"
        )
    return secrets.token_bytes(number_of_bytes)


generate_random = generate_data_key


def generate_data_key_pair(key_pair_spec: str) -> tuple[bytes, bytes]:
    """(PKCS#8 DER private key, X.509 SubjectPublicKeyInfo DER public key)."""
    if key_pair_spec in UNAVAILABLE_SPECS:
        key_spec_info(key_pair_spec)  # raises UnavailableAlgorithm with the reason
    if key_pair_spec not in DATA_KEY_PAIR_SPECS:
        raise CryptoValidationError(f"KeyPairSpec {key_pair_spec} is not supported.")
    private_key = _generate_private_key(KEY_SPECS[key_pair_spec])
    return _pkcs8_der(private_key), _spki_der(private_key.public_key())
