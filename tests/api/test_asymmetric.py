"""Asymmetric and HMAC operations through boto3 against the live server: RSA encryption, Sign/Verify,
GetPublicKey, GenerateMac/VerifyMac and DeriveSharedSecret, success and error paths (kms.md §7.3)."""

import hashlib

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.conftest import OWNER, REGION

RSA_ENCRYPT = "0000bbbb-0000-4000-8000-000000000001"
RSA_SIGN = "0000bbbb-0000-4000-8000-000000000002"
P256_SIGN = "0000bbbb-0000-4000-8000-000000000003"
P256_AGREE = "0000bbbb-0000-4000-8000-000000000004"
HMAC_256 = "0000bbbb-0000-4000-8000-000000000005"
SYMMETRIC = "0000bbbb-0000-4000-8000-000000000006"
K1_SIGN = "0000bbbb-0000-4000-8000-000000000007"
DISABLED_SIGN = "0000bbbb-0000-4000-8000-000000000008"
BOB = ("AKIAASYMMETRICBOB001", "asymmetric-bob-secret-not-secret-00001")


def arn(key_id):
    return f"arn:aws:kms:{REGION}:{OWNER}:key/{key_id}"


SCENARIO = {"version": 1, "accounts": [{
    "id": OWNER,
    "users": [{"name": "Bob", "access_keys": [{"access_key_id": BOB[0], "secret_access_key": BOB[1]}],
               "inline_policies": {"All": {"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                   {"Effect": "Deny", "Action": "kms:Sign", "Resource": "*",
                    "Condition": {"StringEquals": {"kms:SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_512"}}}]}}}],
    "keys": [
        {"id": RSA_ENCRYPT, "region": REGION, "key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT"},
        {"id": RSA_SIGN, "region": REGION, "key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY"},
        {"id": P256_SIGN, "region": REGION, "key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY",
         "aliases": ["alias/signer"]},
        {"id": P256_AGREE, "region": REGION, "key_spec": "ECC_NIST_P256", "key_usage": "KEY_AGREEMENT"},
        {"id": HMAC_256, "region": REGION, "key_spec": "HMAC_256", "key_usage": "GENERATE_VERIFY_MAC"},
        {"id": SYMMETRIC, "region": REGION},
        {"id": K1_SIGN, "region": REGION, "key_spec": "ECC_SECG_P256K1", "key_usage": "SIGN_VERIFY"},
        {"id": DISABLED_SIGN, "region": REGION, "key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY",
         "enabled": False},
    ],
}]}


@pytest.fixture
def kms(transactional_db, load_scenario, aws):
    load_scenario(SCENARIO)
    return aws("kms", BOB)


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def public_key(kms, key_id):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


# ---- RSA encryption ----

@pytest.mark.parametrize("algorithm, hash_class", [("RSAES_OAEP_SHA_1", hashes.SHA1),
                                                   ("RSAES_OAEP_SHA_256", hashes.SHA256)])
def test_rsa_ciphertext_made_with_the_public_key_decrypts_with_key_id_and_algorithm(kms, algorithm, hash_class):
    oaep = padding.OAEP(mgf=padding.MGF1(hash_class()), algorithm=hash_class(), label=None)
    offline = public_key(kms, RSA_ENCRYPT).encrypt(b"offline secret", oaep)
    decrypted = kms.decrypt(CiphertextBlob=offline, KeyId=RSA_ENCRYPT, EncryptionAlgorithm=algorithm)
    assert decrypted["Plaintext"] == b"offline secret"
    assert decrypted["KeyId"] == arn(RSA_ENCRYPT) and decrypted["EncryptionAlgorithm"] == algorithm
    assert "KeyMaterialId" not in decrypted

    online = kms.encrypt(KeyId=RSA_ENCRYPT, Plaintext=b"online", EncryptionAlgorithm=algorithm)
    assert online["EncryptionAlgorithm"] == algorithm and len(online["CiphertextBlob"]) == 256
    assert kms.decrypt(CiphertextBlob=online["CiphertextBlob"], KeyId=RSA_ENCRYPT,
                       EncryptionAlgorithm=algorithm)["Plaintext"] == b"online"


def test_rsa_encrypt_without_an_algorithm_is_invalid_key_usage(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=RSA_ENCRYPT, Plaintext=b"x")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.")


def test_rsa_plaintext_over_the_oaep_limit_is_a_validation_error(kms):
    kms.encrypt(KeyId=RSA_ENCRYPT, Plaintext=b"x" * 190, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=RSA_ENCRYPT, Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error_of(excinfo) == (
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.")


def test_rsa_decrypt_without_key_id_or_with_the_wrong_algorithm_is_invalid_ciphertext(kms):
    blob = kms.encrypt(KeyId=RSA_ENCRYPT, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(excinfo) == ("InvalidCiphertextException", "")
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob, KeyId=RSA_ENCRYPT, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert error_of(excinfo) == ("InvalidCiphertextException", "")


# ---- Sign / Verify ----

@pytest.mark.parametrize("algorithm", ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256"])
def test_rsa_signatures_verify_in_kms_and_offline(kms, algorithm):
    signed = kms.sign(KeyId=RSA_SIGN, Message=b"contract", SigningAlgorithm=algorithm)
    assert signed["KeyId"] == arn(RSA_SIGN) and signed["SigningAlgorithm"] == algorithm
    verified = kms.verify(KeyId=RSA_SIGN, Message=b"contract", Signature=signed["Signature"],
                          SigningAlgorithm=algorithm)
    assert verified["SignatureValid"] is True and verified["KeyId"] == arn(RSA_SIGN)
    digest = hashes.SHA512() if algorithm.endswith("512") else hashes.SHA256()
    pad = (padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
           if "PSS" in algorithm else padding.PKCS1v15())
    public_key(kms, RSA_SIGN).verify(signed["Signature"], b"contract", pad, digest)


def test_ecdsa_signature_of_a_digest_verifies_offline(kms):
    digest = hashlib.sha256(b"message").digest()
    signed = kms.sign(KeyId="alias/signer", Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    public_key(kms, P256_SIGN).verify(signed["Signature"], b"message", ec.ECDSA(hashes.SHA256()))
    assert kms.verify(KeyId=P256_SIGN, Message=b"message", Signature=signed["Signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True


def test_secp256k1_signs_and_verifies(kms):
    signed = kms.sign(KeyId=K1_SIGN, Message=b"tx", SigningAlgorithm="ECDSA_SHA_256")
    assert kms.verify(KeyId=K1_SIGN, Message=b"tx", Signature=signed["Signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True


def test_a_wrong_signature_is_an_exception_never_signature_valid_false(kms):
    signed = kms.sign(KeyId=P256_SIGN, Message=b"original", SigningAlgorithm="ECDSA_SHA_256")
    with pytest.raises(ClientError) as excinfo:
        kms.verify(KeyId=P256_SIGN, Message=b"altered", Signature=signed["Signature"],
                   SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(excinfo) == ("KMSInvalidSignatureException", "")


def test_digest_of_the_wrong_length_is_a_validation_error(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=P256_SIGN, Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(excinfo) == ("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")


def test_signing_algorithm_of_another_key_type_is_refused(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=P256_SIGN, Message=b"x", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", "Algorithm RSASSA_PSS_SHA_256 is incompatible with key spec ECC_NIST_P256.")


def test_signing_with_an_encryption_key_is_invalid_key_usage(kms):
    for key_id in (SYMMETRIC, RSA_ENCRYPT):
        with pytest.raises(ClientError) as excinfo:
            kms.sign(KeyId=key_id, Message=b"x", SigningAlgorithm="RSASSA_PSS_SHA_256")
        assert error_of(excinfo) == (
            "InvalidKeyUsageException", f"{arn(key_id)} key usage is ENCRYPT_DECRYPT which is not valid for Sign.")


def test_signing_algorithm_reaches_the_policy_conditions(kms):
    kms.sign(KeyId=RSA_SIGN, Message=b"x", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=RSA_SIGN, Message=b"x", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_512")
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_disabled_signing_key_cannot_sign_and_dry_run_answers_without_signing(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=DISABLED_SIGN, Message=b"x", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(excinfo) == ("DisabledException", f"{arn(DISABLED_SIGN)} is disabled.")
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=P256_SIGN, Message=b"x", SigningAlgorithm="ECDSA_SHA_256", DryRun=True)
    assert error_of(excinfo)[0] == "DryRunOperationException"


# ---- GetPublicKey ----

def test_get_public_key_describes_the_key(kms):
    answer = kms.get_public_key(KeyId=RSA_SIGN)
    assert answer["KeyId"] == arn(RSA_SIGN)
    assert answer["KeySpec"] == answer["CustomerMasterKeySpec"] == "RSA_2048"
    assert answer["KeyUsage"] == "SIGN_VERIFY"
    assert "RSASSA_PSS_SHA_256" in answer["SigningAlgorithms"] and "EncryptionAlgorithms" not in answer
    assert kms.get_public_key(KeyId=RSA_ENCRYPT)["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert kms.get_public_key(KeyId=P256_AGREE)["KeyAgreementAlgorithms"] == ["ECDH"]


def test_symmetric_and_hmac_keys_have_no_public_key(kms):
    for key_id in (SYMMETRIC, HMAC_256):
        with pytest.raises(ClientError) as excinfo:
            kms.get_public_key(KeyId=key_id)
        assert error_of(excinfo)[0] == "UnsupportedOperationException"


# ---- HMAC ----

def test_generate_mac_then_verify_mac(kms):
    made = kms.generate_mac(KeyId=HMAC_256, Message=b"payload", MacAlgorithm="HMAC_SHA_256")
    assert made["KeyId"] == arn(HMAC_256) and made["MacAlgorithm"] == "HMAC_SHA_256" and len(made["Mac"]) == 32
    verified = kms.verify_mac(KeyId=HMAC_256, Message=b"payload", Mac=made["Mac"], MacAlgorithm="HMAC_SHA_256")
    assert verified["MacValid"] is True
    with pytest.raises(ClientError) as excinfo:
        kms.verify_mac(KeyId=HMAC_256, Message=b"payload!", Mac=made["Mac"], MacAlgorithm="HMAC_SHA_256")
    assert error_of(excinfo) == ("KMSInvalidMacException", "")


def test_mac_algorithm_must_match_the_key_spec(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=HMAC_256, Message=b"x", MacAlgorithm="HMAC_SHA_512")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.")
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=SYMMETRIC, Message=b"x", MacAlgorithm="HMAC_SHA_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", f"{arn(SYMMETRIC)} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.")


# ---- DeriveSharedSecret ----

def test_derive_shared_secret_agrees_with_the_peer(kms):
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_der = peer.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    derived = kms.derive_shared_secret(KeyId=P256_AGREE, KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert derived["KeyId"] == arn(P256_AGREE) and derived["KeyAgreementAlgorithm"] == "ECDH"
    assert derived["KeyOrigin"] == "AWS_KMS"
    assert derived["SharedSecret"] == peer.exchange(ec.ECDH(), public_key(kms, P256_AGREE))


def test_derive_shared_secret_needs_a_key_agreement_key_and_a_valid_peer_key(kms):
    peer_der = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ClientError) as excinfo:
        kms.derive_shared_secret(KeyId=SYMMETRIC, KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{arn(SYMMETRIC)} key usage is ENCRYPT_DECRYPT which is not valid for DeriveSharedSecret.")
    with pytest.raises(ClientError) as excinfo:
        kms.derive_shared_secret(KeyId=P256_AGREE, KeyAgreementAlgorithm="ECDH", PublicKey=b"not a key")
    assert error_of(excinfo)[0] == "ValidationException"
