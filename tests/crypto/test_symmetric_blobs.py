"""SYMMETRIC_DEFAULT ciphertext blobs: AES-256-GCM bound to key id, key material id and encryption context."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.crypto import (
    BLOB_PREFIX,
    InvalidCiphertext,
    decrypt_symmetric,
    encrypt_symmetric,
    generate_key_material,
    new_material_id,
    read_blob_header,
)

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
CONTEXT = {"Department": "Finance", "purpose": "test"}


@pytest.fixture
def material():
    return generate_key_material("SYMMETRIC_DEFAULT")


@pytest.fixture
def material_id():
    return new_material_id()


def encrypt(material, material_id, plaintext=b"secret data", context=CONTEXT, key_id=KEY_ID):
    return encrypt_symmetric(material, key_id, material_id, plaintext, context)


def test_round_trip_with_and_without_encryption_context(material, material_id):
    assert decrypt_symmetric(material, encrypt(material, material_id), CONTEXT) == b"secret data"
    blob = encrypt(material, material_id, context=None)
    assert decrypt_symmetric(material, blob, None) == b"secret data"
    assert decrypt_symmetric(material, blob, {}) == b"secret data"


@pytest.mark.parametrize("size", [1, 32, 4096])
def test_round_trip_at_aws_plaintext_sizes(material, material_id, size):
    plaintext = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert decrypt_symmetric(material, encrypt(material, material_id, plaintext), CONTEXT) == plaintext


def test_blob_looks_like_an_aws_blob_and_hides_the_plaintext(material, material_id):
    plaintext = b"a very recognisable plaintext"
    blob = encrypt(material, material_id, plaintext)
    assert blob.startswith(BLOB_PREFIX)
    assert base64.b64encode(blob).startswith(b"AQICAH")
    assert plaintext not in blob
    assert KEY_ID.encode() not in blob
    assert encrypt(material, material_id, plaintext) != blob  # fresh IV every time


@pytest.mark.parametrize(
    "key_id",
    [KEY_ID, "mrk-1234abcd12ab34cd56ef1234567890ab", "Key-Not-In-Canonical-Form", "ünïcode-key"],
)
def test_header_names_the_key_and_the_material(material, material_id, key_id):
    blob = encrypt(material, material_id, key_id=key_id)
    header = read_blob_header(blob)
    assert header.key_id == key_id
    assert header.material_id == material_id
    assert decrypt_symmetric(material, blob, CONTEXT) == b"secret data"


def test_flipping_any_single_byte_of_the_blob_is_detected(material, material_id):
    blob = encrypt(material, material_id, b"0123456789")
    for position in range(len(blob)):
        for flip in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[position] ^= flip
            with pytest.raises(InvalidCiphertext):
                decrypt_symmetric(material, bytes(tampered), CONTEXT)


def test_truncated_or_extended_blob_is_detected(material, material_id):
    blob = encrypt(material, material_id)
    for cut in (0, 1, 5, 37, 54, 58, len(blob) - 16, len(blob) - 1):
        with pytest.raises(InvalidCiphertext):
            decrypt_symmetric(material, blob[:cut], CONTEXT)
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(material, blob + b"\x00", CONTEXT)


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x01", b"not a blob at all", BLOB_PREFIX, BLOB_PREFIX + b"\x00" * 60, b"\x01\x01\x02\x00\x78" + b"\x00" * 100],
)
def test_foreign_bytes_are_invalid_ciphertext(material, garbage):
    with pytest.raises(InvalidCiphertext):
        read_blob_header(garbage)
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(material, garbage, None)


@pytest.mark.parametrize(
    "wrong_context",
    [
        None,
        {},
        {"Department": "Finance"},  # a pair missing
        {**CONTEXT, "extra": "pair"},  # a pair too many
        {"Department": "finance", "purpose": "test"},  # value case differs
        {"department": "Finance", "purpose": "test"},  # key case differs
        {"Department": "Finance", "purpose": "test "},
        {"Department": "Finance", "purpose": "other"},
    ],
)
def test_any_other_encryption_context_is_invalid_ciphertext(material, material_id, wrong_context):
    blob = encrypt(material, material_id)
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(material, blob, wrong_context)


def test_context_given_to_a_blob_encrypted_without_one_is_refused(material, material_id):
    blob = encrypt(material, material_id, context=None)
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(material, blob, {"any": "thing"})


def test_order_of_context_pairs_does_not_matter(material, material_id):
    blob = encrypt(material, material_id, context={"b": "2", "a": "1", "c": "3"})
    assert decrypt_symmetric(material, blob, {"c": "3", "a": "1", "b": "2"}) == b"secret data"


def test_context_pairs_cannot_be_regrouped(material, material_id):
    # A naive "k=v;k=v" join would make these two equal.
    blob = encrypt(material, material_id, context={"a": "1;b=2"})
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(material, blob, {"a": "1", "b": "2"})


def test_other_key_material_cannot_decrypt(material, material_id):
    blob = encrypt(material, material_id)
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(generate_key_material("SYMMETRIC_DEFAULT"), blob, CONTEXT)


def test_relabelled_blob_does_not_decrypt(material, material_id):
    """A blob whose header is rewritten to name another key or material is refused, even with the right key."""
    blob = encrypt(material, material_id)
    other = encrypt_symmetric(material, "99999999-12ab-34cd-56ef-1234567890ab", material_id, b"secret data", CONTEXT)
    spliced = other[:58] + blob[58:]
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(material, spliced, CONTEXT)


def test_after_rotation_old_material_still_decrypts_its_blobs(material_id):
    first_material = generate_key_material("SYMMETRIC_DEFAULT")
    old_blob = encrypt(first_material, material_id, b"written before rotation")

    second_material, second_id = generate_key_material("SYMMETRIC_DEFAULT"), new_material_id()
    new_blob = encrypt(second_material, second_id, b"written after rotation")
    materials = {material_id: first_material, second_id: second_material}

    for blob, expected in ((old_blob, b"written before rotation"), (new_blob, b"written after rotation")):
        header = read_blob_header(blob)
        assert header.key_id == KEY_ID
        assert decrypt_symmetric(materials[header.material_id], blob, CONTEXT) == expected
    with pytest.raises(InvalidCiphertext):
        decrypt_symmetric(second_material, old_blob, CONTEXT)


def test_malformed_material_id_or_material_is_a_programming_error(material):
    with pytest.raises(ValueError):
        encrypt_symmetric(material, KEY_ID, "ABC", b"x", None)
    with pytest.raises(ValueError):
        encrypt_symmetric(b"\x00" * 16, KEY_ID, new_material_id(), b"x", None)


contexts = st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=5)


@settings(max_examples=60, deadline=None)
@given(plaintext=st.binary(min_size=1, max_size=300), context=contexts, other=contexts)
def test_round_trip_holds_for_any_plaintext_and_context(plaintext, context, other):
    material, material_id = generate_key_material("SYMMETRIC_DEFAULT"), new_material_id()
    blob = encrypt_symmetric(material, KEY_ID, material_id, plaintext, context)
    assert decrypt_symmetric(material, blob, dict(reversed(list(context.items())))) == plaintext
    if other != context:
        with pytest.raises(InvalidCiphertext):
            decrypt_symmetric(material, blob, other)
