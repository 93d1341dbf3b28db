"""KMSCONSOLE_MASTER_KEY: the Fernet envelope around key material and secrets at rest."""

import base64

import pytest

from keys.crypto import UnsealError, generate_master_key, master_cipher, reseal, seal, unseal

SECRET = b"key material that must never show"


def test_generated_master_key_is_32_bytes_in_url_safe_base64():
    value = generate_master_key()
    assert len(value) == 44
    assert len(base64.urlsafe_b64decode(value)) == 32
    assert generate_master_key() != value


def test_sealed_data_opens_again_and_does_not_show_in_the_token():
    cipher = master_cipher(generate_master_key())
    token = seal(cipher, SECRET)
    assert SECRET not in token
    assert base64.urlsafe_b64encode(SECRET) not in token
    assert unseal(cipher, token) == SECRET


def test_rotation_first_key_encrypts_and_every_key_decrypts():
    old, new = generate_master_key(), generate_master_key()
    token_under_old = seal(master_cipher(old), SECRET)

    rotated = master_cipher(f"{new},{old}")
    token_under_new = seal(rotated, SECRET)

    assert unseal(rotated, token_under_old) == SECRET
    assert unseal(rotated, token_under_new) == SECRET
    assert unseal(master_cipher(new), token_under_new) == SECRET
    with pytest.raises(UnsealError):
        unseal(master_cipher(old), token_under_new)


def test_reseal_moves_a_token_to_the_first_key_so_the_old_one_can_be_dropped():
    old, new = generate_master_key(), generate_master_key()
    token = seal(master_cipher(old), SECRET)
    moved = reseal(master_cipher(f"{new},{old}"), token)
    assert unseal(master_cipher(new), moved) == SECRET


def test_spaces_around_list_entries_are_ignored():
    old, new = generate_master_key(), generate_master_key()
    token = seal(master_cipher(old), SECRET)
    assert unseal(master_cipher(f" {new} , {old} "), token) == SECRET


def test_wrong_master_key_or_damaged_token_cannot_be_opened():
    token = seal(master_cipher(generate_master_key()), SECRET)
    with pytest.raises(UnsealError):
        unseal(master_cipher(generate_master_key()), token)
    damaged = token[:-6] + (b"AAAAAA" if not token.endswith(b"AAAAAA") else b"BBBBBB")
    with pytest.raises(UnsealError):
        unseal(master_cipher(generate_master_key()), damaged)


GOOD = "q0mS2b0pDeS9bE7sJ8s1nKk1nXq6nC4bZ2l5YxJkQ1E="


@pytest.mark.parametrize(
    "bad_value",
    [
        "not-a-key",
        "c2hvcnQ=",  # 5 bytes
        base64.urlsafe_b64encode(b"\x07" * 31).decode(),
        base64.urlsafe_b64encode(b"\x07" * 33).decode(),
        base64.b64encode(b"\xfb\xff" * 16).decode(),  # standard alphabet (+ and /), not URL-safe
        "q0mS2b0pDeS9bE7sJ8s1nKk1nXq6nC4bZ2l5YxJkQ1E",  # padding stripped
        "q0mS2b0pDeS9bE7s J8s1nKk1nXq6nC4bZ2l5YxJkQ1E=",  # a stray character inside
        f"{GOOD},",
        f"{GOOD},,{GOOD}",
        f"{GOOD},secretsecretsecret",
    ],
)
def test_bad_master_key_value_is_refused_without_echoing_it(bad_value):
    with pytest.raises(ValueError) as refused:
        master_cipher(bad_value)
    message = str(refused.value)
    assert "KMSCONSOLE_MASTER_KEY" in message
    for entry in bad_value.split(","):
        if entry.strip():
            assert entry.strip() not in message


def test_bad_entry_is_named_by_position():
    with pytest.raises(ValueError, match="entry 2 of 2"):
        master_cipher(f"{GOOD},nope")


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_missing_master_key_is_refused(empty):
    with pytest.raises(ValueError, match="not set or empty"):
        master_cipher(empty)


def test_the_known_good_fixture_is_accepted():
    assert unseal(master_cipher(GOOD), seal(master_cipher(GOOD), b"x")) == b"x"
