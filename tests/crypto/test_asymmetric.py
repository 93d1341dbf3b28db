"""RSA and ECC keys: material, public keys, RSA encryption, signatures, ECDH, data key pairs.

Every signature and ciphertext is also checked with `cryptography` directly, so the emulator is held to the
algorithms AWS names rather than to itself.
"""

import functools
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature as LibraryInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

from keys import crypto
from keys.crypto import (
    CryptoValidationError,
    IncompatibleAlgorithm,
    InvalidCiphertext,
    InvalidSignature,
    decrypt_asymmetric,
    derive_shared_secret,
    encrypt_asymmetric,
    generate_data_key_pair,
    generate_key_material,
    public_key_der,
    sign,
    verify,
)

RSA_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"]
ECC_SIGNING = [
    ("ECC_NIST_P256", "ECDSA_SHA_256", ec.SECP256R1),
    ("ECC_NIST_P384", "ECDSA_SHA_384", ec.SECP384R1),
    ("ECC_NIST_P521", "ECDSA_SHA_512", ec.SECP521R1),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", ec.SECP256K1),
]
RSA_SIGNING = [
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
]
HASH_BY_SUFFIX = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
SIGNING_CASES = [(spec, algorithm) for spec in RSA_SPECS for algorithm in RSA_SIGNING] + [
    (spec, algorithm) for spec, algorithm, _ in ECC_SIGNING
]
MESSAGE = b"Pay 100 to account 444455556666"


@functools.cache
def material_for(key_spec):
    """One key per spec for the whole module: RSA_4096 generation takes a while."""
    return generate_key_material(key_spec)


def public_key(key_spec):
    return serialization.load_der_public_key(public_key_der(key_spec, material_for(key_spec)))


def hash_of(algorithm):
    return HASH_BY_SUFFIX[algorithm[-3:]]()


# ---- key material ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_spec", RSA_SPECS)
def test_rsa_material_is_a_pkcs8_der_private_key_of_the_right_size(key_spec):
    key = serialization.load_der_private_key(material_for(key_spec), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == int(key_spec[4:])
    assert key.public_key().public_numbers().e == 65537


@pytest.mark.parametrize("key_spec, _algorithm, curve", ECC_SIGNING)
def test_ecc_material_is_a_pkcs8_der_private_key_on_the_right_curve(key_spec, _algorithm, curve):
    key = serialization.load_der_private_key(material_for(key_spec), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert isinstance(key.curve, curve)


@pytest.mark.parametrize("key_spec", RSA_SPECS + [spec for spec, _, _ in ECC_SIGNING])
def test_public_key_is_the_subject_public_key_info_of_the_material(key_spec):
    private = serialization.load_der_private_key(material_for(key_spec), password=None)
    expected = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key_der(key_spec, material_for(key_spec)) == expected


def test_material_of_another_spec_is_refused():
    with pytest.raises(ValueError):
        public_key_der("RSA_3072", material_for("RSA_2048"))
    with pytest.raises(ValueError):
        public_key_der("ECC_NIST_P384", material_for("ECC_NIST_P256"))


def test_symmetric_and_hmac_keys_have_no_public_key():
    with pytest.raises(CryptoValidationError):
        public_key_der("SYMMETRIC_DEFAULT", generate_key_material("SYMMETRIC_DEFAULT"))
    with pytest.raises(CryptoValidationError):
        public_key_der("HMAC_256", generate_key_material("HMAC_256"))


# ---- RSA encryption --------------------------------------------------------------------------------------

RSA_LIMITS = [
    ("RSA_2048", "RSAES_OAEP_SHA_1", 214),
    ("RSA_2048", "RSAES_OAEP_SHA_256", 190),
    ("RSA_3072", "RSAES_OAEP_SHA_1", 342),
    ("RSA_3072", "RSAES_OAEP_SHA_256", 318),
    ("RSA_4096", "RSAES_OAEP_SHA_1", 470),
    ("RSA_4096", "RSAES_OAEP_SHA_256", 446),
]


def oaep(algorithm):
    digest = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


@pytest.mark.parametrize("key_spec, algorithm, limit", RSA_LIMITS)
def test_rsa_encrypts_up_to_the_aws_limit_and_decrypts(key_spec, algorithm, limit):
    material = material_for(key_spec)
    plaintext = bytes(range(256))[:limit] if limit <= 256 else (bytes(range(256)) * 2)[:limit]
    ciphertext = encrypt_asymmetric(key_spec, material, algorithm, plaintext)
    assert len(ciphertext) == int(key_spec[4:]) // 8
    assert decrypt_asymmetric(key_spec, material, algorithm, ciphertext) == plaintext
    private = serialization.load_der_private_key(material, password=None)
    assert private.decrypt(ciphertext, oaep(algorithm)) == plaintext


@pytest.mark.parametrize("key_spec, algorithm, limit", RSA_LIMITS)
def test_rsa_refuses_one_byte_over_the_limit_with_the_aws_message(key_spec, algorithm, limit):
    with pytest.raises(CryptoValidationError) as refused:
        encrypt_asymmetric(key_spec, material_for(key_spec), algorithm, b"x" * (limit + 1))
    assert refused.value.message == (
        f"Algorithm {algorithm} and key spec {key_spec} cannot encrypt data larger than {limit} bytes."
    )


def test_exact_aws_message_for_rsa_2048_oaep_sha_256():
    with pytest.raises(CryptoValidationError) as refused:
        encrypt_asymmetric("RSA_2048", material_for("RSA_2048"), "RSAES_OAEP_SHA_256", b"x" * 191)
    assert str(refused.value) == "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes."


def test_ciphertext_made_offline_with_the_public_key_decrypts():
    ciphertext = public_key("RSA_2048").encrypt(b"offline", oaep("RSAES_OAEP_SHA_256"))
    assert decrypt_asymmetric("RSA_2048", material_for("RSA_2048"), "RSAES_OAEP_SHA_256", ciphertext) == b"offline"


def test_rsa_decrypt_refuses_other_algorithm_tampering_and_garbage():
    material = material_for("RSA_2048")
    ciphertext = encrypt_asymmetric("RSA_2048", material, "RSAES_OAEP_SHA_1", b"hello")
    with pytest.raises(InvalidCiphertext):
        decrypt_asymmetric("RSA_2048", material, "RSAES_OAEP_SHA_256", ciphertext)
    tampered = bytearray(ciphertext)
    tampered[100] ^= 1
    with pytest.raises(InvalidCiphertext):
        decrypt_asymmetric("RSA_2048", material, "RSAES_OAEP_SHA_1", bytes(tampered))
    for garbage in (b"", b"short", ciphertext + b"\x00"):
        with pytest.raises(InvalidCiphertext):
            decrypt_asymmetric("RSA_2048", material, "RSAES_OAEP_SHA_1", garbage)


def test_rsa_encryption_refuses_non_rsa_algorithms():
    with pytest.raises(IncompatibleAlgorithm):
        encrypt_asymmetric("RSA_2048", material_for("RSA_2048"), "SYMMETRIC_DEFAULT", b"x")
    with pytest.raises(CryptoValidationError):
        encrypt_asymmetric("ECC_NIST_P256", material_for("ECC_NIST_P256"), "RSAES_OAEP_SHA_1", b"x")


# ---- signatures ------------------------------------------------------------------------------------------


def verify_independently(key_spec, algorithm, message, signature, prehashed=False):
    """Raises cryptography's InvalidSignature unless the signature is what AWS's algorithm would produce."""
    key = public_key(key_spec)
    hashing = Prehashed(hash_of(algorithm)) if prehashed else hash_of(algorithm)
    if algorithm.startswith("ECDSA"):
        key.verify(signature, message, ec.ECDSA(hashing))
    elif algorithm.startswith("RSASSA_PSS"):
        pss = padding.PSS(mgf=padding.MGF1(hash_of(algorithm)), salt_length=hash_of(algorithm).digest_size)
        key.verify(signature, message, pss, hashing)
    else:
        key.verify(signature, message, padding.PKCS1v15(), hashing)


@pytest.mark.parametrize("key_spec, algorithm", SIGNING_CASES)
def test_raw_message_signature_verifies_here_and_independently(key_spec, algorithm):
    material = material_for(key_spec)
    signature = sign(key_spec, material, algorithm, MESSAGE, "RAW")
    verify(key_spec, material, algorithm, MESSAGE, signature, "RAW")
    verify_independently(key_spec, algorithm, MESSAGE, signature)


@pytest.mark.parametrize("key_spec, algorithm", SIGNING_CASES)
def test_digest_signature_equals_signing_the_raw_message(key_spec, algorithm):
    material = material_for(key_spec)
    digest = hashlib.new(f"sha{algorithm[-3:]}", MESSAGE).digest()
    signature = sign(key_spec, material, algorithm, digest, "DIGEST")
    verify_independently(key_spec, algorithm, MESSAGE, signature)  # the digest stood for the message
    verify_independently(key_spec, algorithm, digest, signature, prehashed=True)
    verify(key_spec, material, algorithm, digest, signature, "DIGEST")
    verify(key_spec, material, algorithm, MESSAGE, signature, "RAW")


@pytest.mark.parametrize("key_spec, algorithm", SIGNING_CASES)
def test_wrong_message_or_damaged_signature_is_invalid(key_spec, algorithm):
    material = material_for(key_spec)
    signature = sign(key_spec, material, algorithm, MESSAGE)
    with pytest.raises(InvalidSignature):
        verify(key_spec, material, algorithm, MESSAGE + b".", signature)
    damaged = bytearray(signature)
    damaged[len(damaged) // 2] ^= 0x10
    with pytest.raises(InvalidSignature):
        verify(key_spec, material, algorithm, MESSAGE, bytes(damaged))
    for garbage in (b"", b"\x30\x00", signature[:-1]):
        with pytest.raises(InvalidSignature):
            verify(key_spec, material, algorithm, MESSAGE, garbage)


def test_a_signature_from_another_key_of_the_same_spec_is_invalid():
    other = generate_key_material("ECC_NIST_P256")
    signature = sign("ECC_NIST_P256", other, "ECDSA_SHA_256", MESSAGE)
    with pytest.raises(InvalidSignature):
        verify("ECC_NIST_P256", material_for("ECC_NIST_P256"), "ECDSA_SHA_256", MESSAGE, signature)


def test_pss_signature_does_not_verify_as_pkcs1():
    material = material_for("RSA_2048")
    signature = sign("RSA_2048", material, "RSASSA_PSS_SHA_256", MESSAGE)
    with pytest.raises(InvalidSignature):
        verify("RSA_2048", material, "RSASSA_PKCS1_V1_5_SHA_256", MESSAGE, signature)


def test_pss_salt_is_as_long_as_the_digest_like_aws():
    signature = sign("RSA_2048", material_for("RSA_2048"), "RSASSA_PSS_SHA_384", MESSAGE)
    key = public_key("RSA_2048")
    key.verify(signature, MESSAGE, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
    with pytest.raises(LibraryInvalidSignature):
        key.verify(signature, MESSAGE, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=32), hashes.SHA384())


@pytest.mark.parametrize("key_spec, algorithm, _curve", ECC_SIGNING)
def test_ecdsa_signatures_are_der_encoded(key_spec, algorithm, _curve):
    signature = sign(key_spec, material_for(key_spec), algorithm, MESSAGE)
    r, s = decode_dss_signature(signature)
    assert r > 0 and s > 0


@pytest.mark.parametrize(
    "key_spec, algorithm, wrong_length",
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", 31),
        ("ECC_NIST_P256", "ECDSA_SHA_256", 48),
        ("ECC_NIST_P384", "ECDSA_SHA_384", 32),
        ("ECC_NIST_P521", "ECDSA_SHA_512", 65),
        ("RSA_2048", "RSASSA_PSS_SHA_512", 32),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", 0),
    ],
)
def test_digest_of_the_wrong_length_is_refused_with_the_aws_message(key_spec, algorithm, wrong_length):
    material = material_for(key_spec)
    with pytest.raises(CryptoValidationError) as refused:
        sign(key_spec, material, algorithm, b"d" * wrong_length, "DIGEST")
    assert refused.value.message == f"Digest is invalid length for algorithm {algorithm}."
    with pytest.raises(CryptoValidationError):
        verify(key_spec, material, algorithm, b"d" * wrong_length, b"sig", "DIGEST")


def test_unknown_message_type_is_refused():
    with pytest.raises(CryptoValidationError):
        sign("ECC_NIST_P256", material_for("ECC_NIST_P256"), "ECDSA_SHA_256", b"x" * 64, "EXTERNAL_MU")


@pytest.mark.parametrize(
    "key_spec, algorithm",
    [
        ("ECC_NIST_P256", "ECDSA_SHA_384"),
        ("ECC_NIST_P384", "ECDSA_SHA_256"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_512"),
        ("ECC_NIST_P256", "RSASSA_PSS_SHA_256"),
        ("RSA_2048", "ECDSA_SHA_256"),
        ("RSA_2048", "RSAES_OAEP_SHA_256"),
    ],
)
def test_signing_algorithm_must_belong_to_the_key_spec(key_spec, algorithm):
    with pytest.raises(IncompatibleAlgorithm) as refused:
        sign(key_spec, material_for(key_spec), algorithm, MESSAGE)
    assert refused.value.message == f"Algorithm {algorithm} is incompatible with key spec {key_spec}."


# ---- key agreement ---------------------------------------------------------------------------------------

AGREEMENT_SPECS = [("ECC_NIST_P256", ec.SECP256R1), ("ECC_NIST_P384", ec.SECP384R1), ("ECC_NIST_P521", ec.SECP521R1)]


def spki(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("key_spec, curve", AGREEMENT_SPECS)
def test_ecdh_both_sides_derive_the_same_secret(key_spec, curve):
    peer = ec.generate_private_key(curve())
    ours = derive_shared_secret(key_spec, material_for(key_spec), spki(peer))
    theirs = peer.exchange(ec.ECDH(), public_key(key_spec))
    assert ours == theirs
    assert len(ours) == (peer.curve.key_size + 7) // 8


def test_ecdh_between_two_kms_keys_agrees():
    first, second = generate_key_material("ECC_NIST_P256"), generate_key_material("ECC_NIST_P256")
    first_public, second_public = public_key_der("ECC_NIST_P256", first), public_key_der("ECC_NIST_P256", second)
    assert derive_shared_secret("ECC_NIST_P256", first, second_public) == derive_shared_secret(
        "ECC_NIST_P256", second, first_public
    )


@pytest.mark.parametrize(
    "peer_public_key",
    [
        pytest.param(lambda: spki(ec.generate_private_key(ec.SECP384R1())), id="other-curve"),
        pytest.param(lambda: spki(ec.generate_private_key(ec.SECP256K1())), id="secp256k1"),
        pytest.param(lambda: spki(rsa.generate_private_key(public_exponent=65537, key_size=2048)), id="rsa"),
        pytest.param(lambda: b"not a public key", id="garbage"),
        pytest.param(lambda: b"", id="empty"),
        pytest.param(lambda: spki(ec.generate_private_key(ec.SECP256R1()))[:-3], id="truncated"),
    ],
)
def test_ecdh_refuses_a_bad_or_wrong_curve_peer_key(peer_public_key):
    with pytest.raises(CryptoValidationError):
        derive_shared_secret("ECC_NIST_P256", material_for("ECC_NIST_P256"), peer_public_key())


def test_secp256k1_and_rsa_keys_do_not_do_key_agreement():
    peer = spki(ec.generate_private_key(ec.SECP256K1()))
    with pytest.raises(IncompatibleAlgorithm):
        derive_shared_secret("ECC_SECG_P256K1", material_for("ECC_SECG_P256K1"), peer)
    with pytest.raises(IncompatibleAlgorithm):
        derive_shared_secret("RSA_2048", material_for("RSA_2048"), peer)


# ---- data key pairs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_pair_spec", crypto.DATA_KEY_PAIR_SPECS)
def test_data_key_pair_is_a_matching_pkcs8_private_and_spki_public_key(key_pair_spec):
    private_der, public_der = generate_data_key_pair(key_pair_spec)
    private = serialization.load_der_private_key(private_der, password=None)
    assert spki(private) == public_der
    assert public_key_der(key_pair_spec, private_der) == public_der


def test_every_data_key_pair_is_fresh():
    assert generate_data_key_pair("ECC_NIST_P256") != generate_data_key_pair("ECC_NIST_P256")


@pytest.mark.parametrize("bad", ["SYMMETRIC_DEFAULT", "HMAC_256", "RSA_1024", "", None])
def test_unsupported_key_pair_spec_is_refused(bad):
    with pytest.raises(CryptoValidationError):
        generate_data_key_pair(bad)
