"""The key spec catalogue that CreateKey validation and DescribeKey read (kms.md §6.1)."""

import pytest

from keys.crypto import (
    ASYMMETRIC,
    DATA_KEY_PAIR_SPECS,
    HMAC,
    KEY_SPECS,
    SYMMETRIC,
    CryptoValidationError,
    IncompatibleAlgorithm,
    check_algorithm,
    key_spec_info,
    resolve_key_usage,
)

RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]

DESCRIBE_KEY = {
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"): {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]},
    ("RSA_2048", "ENCRYPT_DECRYPT"): {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]},
    ("RSA_3072", "SIGN_VERIFY"): {"SigningAlgorithms": RSA_SIGNING},
    ("RSA_4096", "SIGN_VERIFY"): {"SigningAlgorithms": RSA_SIGNING},
    ("ECC_NIST_P256", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_256"]},
    ("ECC_NIST_P384", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_384"]},
    ("ECC_NIST_P521", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_512"]},
    ("ECC_NIST_P521", "KEY_AGREEMENT"): {"KeyAgreementAlgorithms": ["ECDH"]},
    ("ECC_SECG_P256K1", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_256"]},
    ("HMAC_224", "GENERATE_VERIFY_MAC"): {"MacAlgorithms": ["HMAC_SHA_224"]},
    ("HMAC_512", "GENERATE_VERIFY_MAC"): {"MacAlgorithms": ["HMAC_SHA_512"]},
}


@pytest.mark.parametrize("key_spec, key_usage", DESCRIBE_KEY)
def test_describe_key_reports_the_algorithms_of_the_usage(key_spec, key_usage):
    assert key_spec_info(key_spec).describe_algorithms(key_usage) == DESCRIBE_KEY[(key_spec, key_usage)]


def test_allowed_usages_per_spec():
    usages = {name: set(spec.key_usages) for name, spec in KEY_SPECS.items()}
    assert usages == {
        "SYMMETRIC_DEFAULT": {"ENCRYPT_DECRYPT"},
        "RSA_2048": {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
        "RSA_3072": {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
        "RSA_4096": {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
        "ECC_NIST_P256": {"SIGN_VERIFY", "KEY_AGREEMENT"},
        "ECC_NIST_P384": {"SIGN_VERIFY", "KEY_AGREEMENT"},
        "ECC_NIST_P521": {"SIGN_VERIFY", "KEY_AGREEMENT"},
        "ECC_SECG_P256K1": {"SIGN_VERIFY"},
        "HMAC_224": {"GENERATE_VERIFY_MAC"},
        "HMAC_256": {"GENERATE_VERIFY_MAC"},
        "HMAC_384": {"GENERATE_VERIFY_MAC"},
        "HMAC_512": {"GENERATE_VERIFY_MAC"},
        "ECC_NIST_EDWARDS25519": {"SIGN_VERIFY"},
        "ML_DSA_44": {"SIGN_VERIFY"},
        "ML_DSA_65": {"SIGN_VERIFY"},
        "ML_DSA_87": {"SIGN_VERIFY"},
        "ML_KEM_768": {"ENCAPSULATE_DECAPSULATE"},
        "ML_KEM_1024": {"ENCAPSULATE_DECAPSULATE"},
    }


def test_key_types():
    types = {name: spec.key_type for name, spec in KEY_SPECS.items()}
    assert types["SYMMETRIC_DEFAULT"] == SYMMETRIC
    assert {types[name] for name in ("RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1")} == {ASYMMETRIC}
    assert {types[name] for name in ("HMAC_224", "HMAC_512")} == {HMAC}


def test_usage_not_allowed_for_the_spec_reports_nothing():
    assert key_spec_info("SYMMETRIC_DEFAULT").describe_algorithms("SIGN_VERIFY") == {}


def test_key_usage_defaults_only_for_symmetric_keys():
    assert resolve_key_usage("SYMMETRIC_DEFAULT", None) == "ENCRYPT_DECRYPT"
    with pytest.raises(CryptoValidationError) as refused:
        resolve_key_usage("RSA_2048", None)
    assert refused.value.message == (
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
    )


def test_incompatible_usage_uses_the_aws_message():
    with pytest.raises(CryptoValidationError) as refused:
        resolve_key_usage("RSA_2048", "KEY_AGREEMENT")
    assert refused.value.message == "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048"
    with pytest.raises(CryptoValidationError):
        resolve_key_usage("ECC_SECG_P256K1", "KEY_AGREEMENT")
    assert resolve_key_usage("HMAC_256", "GENERATE_VERIFY_MAC") == "GENERATE_VERIFY_MAC"


def test_check_algorithm_accepts_the_catalogue_and_nothing_else():
    for name, spec in KEY_SPECS.items():
        for usage in spec.key_usages:
            for algorithm in spec.algorithms(usage):
                check_algorithm(name, usage, algorithm)
    with pytest.raises(IncompatibleAlgorithm):
        check_algorithm("RSA_2048", "ENCRYPT_DECRYPT", "RSASSA_PSS_SHA_256")


def test_every_data_key_pair_spec_is_an_asymmetric_key_spec():
    assert all(KEY_SPECS[spec].key_type == ASYMMETRIC for spec in DATA_KEY_PAIR_SPECS)
