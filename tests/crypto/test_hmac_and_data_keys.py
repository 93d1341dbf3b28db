"""HMAC keys, data keys and random bytes."""

import hashlib
import hmac

import pytest

from keys.crypto import (
    CryptoValidationError,
    IncompatibleAlgorithm,
    InvalidMac,
    generate_data_key,
    generate_key_material,
    generate_mac,
    generate_random,
    new_material_id,
    verify_mac,
)

HMAC_SPECS = [("HMAC_224", "HMAC_SHA_224", 28), ("HMAC_256", "HMAC_SHA_256", 32), ("HMAC_384", "HMAC_SHA_384", 48), ("HMAC_512", "HMAC_SHA_512", 64)]
MESSAGE = b"message to authenticate"


@pytest.mark.parametrize("key_spec, algorithm, key_length", HMAC_SPECS)
def test_hmac_key_has_the_recommended_length(key_spec, algorithm, key_length):
    assert len(generate_key_material(key_spec)) == key_length


@pytest.mark.parametrize("key_spec, algorithm, key_length", HMAC_SPECS)
def test_mac_is_standard_hmac_and_verifies(key_spec, algorithm, key_length):
    material = generate_key_material(key_spec)
    mac = generate_mac(key_spec, material, algorithm, MESSAGE)
    assert mac == hmac.new(material, MESSAGE, getattr(hashlib, f"sha{algorithm[-3:]}")).digest()
    verify_mac(key_spec, material, algorithm, MESSAGE, mac)


@pytest.mark.parametrize("key_spec, algorithm, key_length", HMAC_SPECS)
def test_wrong_message_key_or_mac_is_invalid(key_spec, algorithm, key_length):
    material = generate_key_material(key_spec)
    mac = generate_mac(key_spec, material, algorithm, MESSAGE)
    with pytest.raises(InvalidMac):
        verify_mac(key_spec, material, algorithm, MESSAGE + b"!", mac)
    with pytest.raises(InvalidMac):
        verify_mac(key_spec, generate_key_material(key_spec), algorithm, MESSAGE, mac)
    for bad_mac in (mac[:-1], mac + b"\x00", bytes([mac[0] ^ 1]) + mac[1:], b""):
        with pytest.raises(InvalidMac):
            verify_mac(key_spec, material, algorithm, MESSAGE, bad_mac)


def test_mac_algorithm_must_match_the_key_spec_with_the_aws_message():
    material = generate_key_material("HMAC_224")
    with pytest.raises(IncompatibleAlgorithm) as refused:
        generate_mac("HMAC_224", material, "HMAC_SHA_256", MESSAGE)
    assert refused.value.message == "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."
    assert isinstance(refused.value, CryptoValidationError)
    with pytest.raises(IncompatibleAlgorithm):
        verify_mac("HMAC_224", material, "HMAC_SHA_256", MESSAGE, b"\x00" * 32)


def test_non_hmac_keys_cannot_make_macs():
    with pytest.raises(CryptoValidationError):
        generate_mac("SYMMETRIC_DEFAULT", generate_key_material("SYMMETRIC_DEFAULT"), "HMAC_SHA_256", MESSAGE)


def test_symmetric_material_is_32_random_bytes():
    first, second = generate_key_material("SYMMETRIC_DEFAULT"), generate_key_material("SYMMETRIC_DEFAULT")
    assert len(first) == 32 and first != second


def test_material_id_is_64_lower_case_hex_and_unique():
    material_id = new_material_id()
    assert len(material_id) == 64 and material_id == material_id.lower()
    int(material_id, 16)
    assert new_material_id() != material_id


@pytest.mark.parametrize("unknown", ["AES_256", "RSA_1024", "", None, "symmetric_default"])
def test_unknown_key_spec_is_refused(unknown):
    with pytest.raises(CryptoValidationError):
        generate_key_material(unknown)


@pytest.mark.parametrize("number_of_bytes", [1, 16, 32, 1024])
def test_data_keys_have_the_requested_length_and_are_random(number_of_bytes):
    assert len(generate_data_key(number_of_bytes)) == number_of_bytes
    assert len(generate_random(number_of_bytes)) == number_of_bytes
    if number_of_bytes >= 16:
        assert generate_data_key(number_of_bytes) != generate_data_key(number_of_bytes)


def test_data_key_length_outside_1_to_1024_is_refused_with_the_aws_message():
    with pytest.raises(CryptoValidationError) as too_many:
        generate_data_key(1025)
    assert too_many.value.message == (
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024"
    )
    with pytest.raises(CryptoValidationError, match="greater than or equal to 1"):
        generate_data_key(0)
    for not_a_number in ("32", 32.0, True, None):
        with pytest.raises(CryptoValidationError):
            generate_data_key(not_a_number)
