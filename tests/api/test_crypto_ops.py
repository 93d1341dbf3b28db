"""Symmetric cryptographic operations through boto3 against the live server: Encrypt, Decrypt, ReEncrypt,
GenerateDataKey(WithoutPlaintext), GenerateDataKeyPair(WithoutPlaintext), GenerateRandom, with their
error paths (kms.md §7)."""

import base64

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.conftest import OWNER, REGION

KEY = "0000aaaa-0000-4000-8000-000000000001"
OTHER_KEY = "0000aaaa-0000-4000-8000-000000000002"
DISABLED_KEY = "0000aaaa-0000-4000-8000-000000000003"
SIGNING_KEY = "0000aaaa-0000-4000-8000-000000000004"
RSA_ENCRYPTION_KEY = "0000aaaa-0000-4000-8000-000000000005"
LOCKED_KEY = "0000aaaa-0000-4000-8000-000000000006"
ALICE = ("AKIACRYPTOALICE00001", "crypto-alice-secret-not-secret-0000001")
NOBODY = ("AKIACRYPTONOBODY0001", "crypto-nobody-secret-not-secret-000001")


def arn(key_id):
    return f"arn:aws:kms:{REGION}:{OWNER}:key/{key_id}"


SCENARIO = {
    "version": 1,
    "accounts": [{
        "id": OWNER,
        "users": [
            {"name": "Alice", "access_keys": [{"access_key_id": ALICE[0], "secret_access_key": ALICE[1]}],
             "inline_policies": {"UseKeys": {"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*",
                  "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": "forbidden"}}},
             ]}}},
            {"name": "Nobody", "access_keys": [{"access_key_id": NOBODY[0], "secret_access_key": NOBODY[1]}]},
        ],
        "keys": [
            {"id": KEY, "region": REGION, "aliases": ["alias/payments"]},
            {"id": OTHER_KEY, "region": REGION},
            {"id": DISABLED_KEY, "region": REGION, "enabled": False},
            {"id": SIGNING_KEY, "region": REGION, "key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY"},
            {"id": RSA_ENCRYPTION_KEY, "region": REGION, "key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT"},
            # A key policy that names nobody in the account: IAM cannot open it.
            {"id": LOCKED_KEY, "region": REGION, "policy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::777788889999:root"}, "Action": "kms:*",
                 "Resource": "*"}]}},
        ],
    }],
}


@pytest.fixture
def kms(transactional_db, load_scenario, aws):
    load_scenario(SCENARIO)
    return aws("kms", ALICE)


def unvalidated_client(live_server, credentials):
    """A client that sends out-of-range values, so that the server's own validation answers."""
    return boto3.client("kms", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=credentials[0],
                        aws_secret_access_key=credentials[1],
                        config=Config(parameter_validation=False, retries={"max_attempts": 1}))


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


# ---- Encrypt / Decrypt ----

def test_encrypt_then_decrypt_round_trip_names_the_key_by_arn(kms):
    encrypted = kms.encrypt(KeyId=KEY, Plaintext=b"hello world", EncryptionContext={"purpose": "test"})
    assert encrypted["KeyId"] == arn(KEY)
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = encrypted["CiphertextBlob"]
    assert base64.b64encode(blob).startswith(b"AQICAH")
    assert b"hello world" not in blob

    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "test"})
    assert decrypted["Plaintext"] == b"hello world"
    assert decrypted["KeyId"] == arn(KEY)
    assert decrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert len(decrypted["KeyMaterialId"]) == 64
    assert kms.describe_key(KeyId=KEY)["KeyMetadata"]["CurrentKeyMaterialId"] == decrypted["KeyMaterialId"]


def test_encrypt_accepts_every_identifier_form(kms):
    for identifier in (KEY, arn(KEY), "alias/payments", f"arn:aws:kms:{REGION}:{OWNER}:alias/payments"):
        assert kms.encrypt(KeyId=identifier, Plaintext=b"x")["KeyId"] == arn(KEY)


def test_decrypt_with_the_right_key_id_succeeds_and_with_another_key_is_incorrect_key(kms):
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, KeyId="alias/payments")["Plaintext"] == b"secret"
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob, KeyId=OTHER_KEY)
    assert error_of(excinfo) == (
        "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")


def test_decrypt_with_a_different_encryption_context_is_invalid_ciphertext_with_no_message(kms):
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"secret", EncryptionContext={"a": "1"})["CiphertextBlob"]
    for context in ({"a": "2"}, {}, {"a": "1", "b": "2"}, {"A": "1"}):
        with pytest.raises(ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        assert error_of(excinfo) == ("InvalidCiphertextException", "")


def test_context_pair_order_does_not_matter(kms):
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"s", EncryptionContext={"a": "1", "b": "2"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"b": "2", "a": "1"})["Plaintext"] == b"s"


def test_tampered_or_foreign_ciphertext_is_invalid_ciphertext(kms):
    blob = bytearray(kms.encrypt(KeyId=KEY, Plaintext=b"secret")["CiphertextBlob"])
    blob[-1] ^= 1
    for bad in (bytes(blob), b"not a kms ciphertext at all"):
        with pytest.raises(ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=bad)
        assert error_of(excinfo) == ("InvalidCiphertextException", "")


def test_plaintext_over_4096_bytes_is_a_validation_error(kms, live_server):
    with pytest.raises(ClientError) as excinfo:
        unvalidated_client(live_server, ALICE).encrypt(KeyId=KEY, Plaintext=b"x" * 4097)
    assert error_of(excinfo)[0] == "ValidationException"


def test_encrypt_with_a_signing_key_is_invalid_key_usage(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=SIGNING_KEY, Plaintext=b"x")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", f"{arn(SIGNING_KEY)} key usage is SIGN_VERIFY which is not valid for Encrypt.")


def test_symmetric_key_refuses_an_rsa_algorithm(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=KEY, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.")


def test_disabled_key_cannot_encrypt(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=DISABLED_KEY, Plaintext=b"x")
    assert error_of(excinfo) == ("DisabledException", f"{arn(DISABLED_KEY)} is disabled.")


def test_unknown_key_and_alias_are_not_found(kms):
    missing = "0000aaaa-0000-4000-8000-0000000000ff"
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=missing, Plaintext=b"x")
    assert error_of(excinfo) == ("NotFoundException", f"Key '{arn(missing)}' does not exist")
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId="alias/nothing", Plaintext=b"x")
    assert error_of(excinfo) == (
        "NotFoundException", f"Alias arn:aws:kms:{REGION}:{OWNER}:alias/nothing is not found.")


def test_encryption_context_reaches_the_policy_conditions(kms):
    kms.encrypt(KeyId=KEY, Plaintext=b"x", EncryptionContext={"purpose": "fine"})
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=KEY, Plaintext=b"x", EncryptionContext={"purpose": "forbidden"})
    code, message = error_of(excinfo)
    assert code == "AccessDeniedException"
    assert message == (f"User: arn:aws:iam::{OWNER}:user/Alice is not authorized to perform: kms:Encrypt on "
                       f"resource: {arn(KEY)} with an explicit deny in an identity-based policy")


def test_user_without_iam_policy_is_denied_and_key_policy_without_the_account_denies_everyone(kms, aws):
    nobody = aws("kms", NOBODY)
    with pytest.raises(ClientError) as excinfo:
        nobody.encrypt(KeyId=KEY, Plaintext=b"x")
    assert error_of(excinfo)[1] == (
        f"User: arn:aws:iam::{OWNER}:user/Nobody is not authorized to perform: kms:Encrypt on resource: "
        f"{arn(KEY)} because no identity-based policy allows the kms:Encrypt action")
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=LOCKED_KEY, Plaintext=b"x")
    assert error_of(excinfo)[1].endswith("because no resource-based policy allows the kms:Encrypt action")


def test_decrypt_without_permission_on_the_blobs_key_is_denied(kms, aws):
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        aws("kms", NOBODY).decrypt(CiphertextBlob=blob)
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_dry_run_says_it_would_have_succeeded(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=KEY, Plaintext=b"x", DryRun=True)
    assert error_of(excinfo) == (
        "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob, DryRun=True)
    assert error_of(excinfo)[0] == "DryRunOperationException"


def test_an_invalid_grant_token_is_refused(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=KEY, Plaintext=b"x", GrantTokens=["bm90IGEgdG9rZW4="])
    assert error_of(excinfo)[0] == "InvalidGrantTokenException"


# ---- ReEncrypt ----

def test_re_encrypt_moves_ciphertext_to_another_key_and_context(kms):
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"move me", EncryptionContext={"v": "1"})["CiphertextBlob"]
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"v": "1"}, DestinationKeyId=OTHER_KEY,
                           DestinationEncryptionContext={"v": "2"})
    assert moved["SourceKeyId"] == arn(KEY)
    assert moved["KeyId"] == arn(OTHER_KEY)
    assert moved["SourceEncryptionAlgorithm"] == moved["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert len(moved["SourceKeyMaterialId"]) == len(moved["DestinationKeyMaterialId"]) == 64
    again = kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"v": "2"})
    assert again["Plaintext"] == b"move me" and again["KeyId"] == arn(OTHER_KEY)


def test_re_encrypt_with_the_wrong_source_key_or_context_fails(kms):
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=OTHER_KEY, DestinationKeyId=OTHER_KEY)
    assert error_of(excinfo)[0] == "IncorrectKeyException"
    with pytest.raises(ClientError) as excinfo:
        kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"x": "y"}, DestinationKeyId=OTHER_KEY)
    assert error_of(excinfo) == ("InvalidCiphertextException", "")


def test_re_encrypt_into_a_disabled_key_is_refused(kms):
    blob = kms.encrypt(KeyId=KEY, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=DISABLED_KEY)
    assert error_of(excinfo) == ("DisabledException", f"{arn(DISABLED_KEY)} is disabled.")


def test_re_encrypt_needs_re_encrypt_from_and_to_not_decrypt_and_encrypt(transactional_db, load_scenario, aws):
    only_decrypt_encrypt = {"version": 1, "accounts": [{"id": OWNER, "users": [
        {"name": "Half", "access_keys": [{"access_key_id": "AKIACRYPTOHALF000001",
                                          "secret_access_key": "crypto-half-secret-not-secret-00000001"}],
         "inline_policies": {"P": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}}}],
        "keys": [{"id": KEY, "region": REGION}]}]}
    load_scenario(only_decrypt_encrypt)
    half = aws("kms", ("AKIACRYPTOHALF000001", "crypto-half-secret-not-secret-00000001"))
    blob = half.encrypt(KeyId=KEY, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        half.re_encrypt(CiphertextBlob=blob, DestinationKeyId=KEY)
    assert "kms:ReEncryptFrom" in error_of(excinfo)[1]


# ---- Data keys ----

def test_generate_data_key_returns_a_usable_aes_key_and_its_ciphertext(kms):
    generated = kms.generate_data_key(KeyId=KEY, KeySpec="AES_256", EncryptionContext={"file": "a.txt"})
    assert len(generated["Plaintext"]) == 32 and generated["KeyId"] == arn(KEY)
    assert len(generated["KeyMaterialId"]) == 64
    AESGCM(generated["Plaintext"]).encrypt(b"\0" * 12, b"data", None)
    decrypted = kms.decrypt(CiphertextBlob=generated["CiphertextBlob"], EncryptionContext={"file": "a.txt"})
    assert decrypted["Plaintext"] == generated["Plaintext"]
    assert len(kms.generate_data_key(KeyId=KEY, KeySpec="AES_128")["Plaintext"]) == 16
    assert len(kms.generate_data_key(KeyId=KEY, NumberOfBytes=7)["Plaintext"]) == 7


def test_generate_data_key_without_plaintext_omits_the_plaintext(kms):
    generated = kms.generate_data_key_without_plaintext(KeyId=KEY, KeySpec="AES_128")
    assert "Plaintext" not in generated
    assert len(kms.decrypt(CiphertextBlob=generated["CiphertextBlob"])["Plaintext"]) == 16


@pytest.mark.parametrize("arguments, message_start", [
    ({}, "Please specify either number of bytes or key spec."),
    ({"KeySpec": "AES_256", "NumberOfBytes": 32}, "Please specify either number of bytes or key spec."),
    ({"NumberOfBytes": 0}, "1 validation error detected"),
    ({"NumberOfBytes": 1025}, "1 validation error detected"),
])
def test_generate_data_key_needs_exactly_one_valid_size(kms, live_server, arguments, message_start):
    with pytest.raises(ClientError) as excinfo:
        unvalidated_client(live_server, ALICE).generate_data_key(KeyId=KEY, **arguments)
    code, message = error_of(excinfo)
    assert code == "ValidationException" and message.startswith(message_start)


def test_generate_data_key_needs_a_symmetric_encryption_key(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key(KeyId=RSA_ENCRYPTION_KEY, KeySpec="AES_256")
    assert error_of(excinfo)[0] == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key(KeyId=SIGNING_KEY, KeySpec="AES_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{arn(SIGNING_KEY)} key usage is SIGN_VERIFY which is not valid for GenerateDataKey.")


def test_generate_data_key_pair_returns_a_matching_pair_and_a_wrapped_private_key(kms):
    pair = kms.generate_data_key_pair(KeyId=KEY, KeyPairSpec="ECC_NIST_P256", EncryptionContext={"k": "v"})
    private_key = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    public_der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert public_der == pair["PublicKey"]
    assert pair["KeyPairSpec"] == "ECC_NIST_P256" and pair["KeyId"] == arn(KEY)
    unwrapped = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"k": "v"})
    assert unwrapped["Plaintext"] == pair["PrivateKeyPlaintext"]

    without = kms.generate_data_key_pair_without_plaintext(KeyId=KEY, KeyPairSpec="RSA_2048")
    assert "PrivateKeyPlaintext" not in without
    serialization.load_der_public_key(without["PublicKey"])


def test_generate_data_key_pair_with_a_signing_key_is_invalid_key_usage(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key_pair(KeyId=SIGNING_KEY, KeyPairSpec="RSA_2048")
    assert error_of(excinfo)[0] == "InvalidKeyUsageException"


# ---- GenerateRandom ----

def test_generate_random_returns_the_bytes_asked_for(kms):
    assert len(kms.generate_random(NumberOfBytes=64)["Plaintext"]) == 64
    assert kms.generate_random(NumberOfBytes=16)["Plaintext"] != kms.generate_random(NumberOfBytes=16)["Plaintext"]


def test_generate_random_needs_a_number_of_bytes_in_range(kms, live_server):
    with pytest.raises(ClientError) as excinfo:
        kms.generate_random()
    assert error_of(excinfo) == ("ValidationException", "NumberOfBytes is required.")
    with pytest.raises(ClientError) as excinfo:
        unvalidated_client(live_server, ALICE).generate_random(NumberOfBytes=1025)
    assert error_of(excinfo)[0] == "ValidationException"


def test_generate_random_is_decided_by_iam_alone(kms, aws):
    with pytest.raises(ClientError) as excinfo:
        aws("kms", NOBODY).generate_random(NumberOfBytes=8)
    code, message = error_of(excinfo)
    assert code == "AccessDeniedException" and "kms:GenerateRandom" in message
