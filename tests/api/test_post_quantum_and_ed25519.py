"""Key specs added in botocore 1.44's KMS model: Ed25519 and ML-DSA signing keys, ML-KEM keys with Encapsulate
and Decapsulate, the new GenerateDataKeyPair specs, and GetKeyLastUsage. The client side is `cryptography`."""

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from audit.models import AuditEvent
from tests.api.conftest import ADMIN, BOB, OWNER_ROOT, SHARED_KEY_ARN, error_of
from tests.conftest import OWNER


def _new_key(client, spec, usage):
    return client.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]


def test_ed25519_signs_raw_messages_that_cryptography_verifies(kms):
    client = kms(ADMIN)
    meta = _new_key(client, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY")
    assert meta["SigningAlgorithms"] == ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    signature = client.sign(KeyId=meta["KeyId"], Message=b"ship it", MessageType="RAW",
                            SigningAlgorithm="ED25519_SHA_512")["Signature"]
    public = serialization.load_der_public_key(client.get_public_key(KeyId=meta["KeyId"])["PublicKey"])
    assert isinstance(public, ed25519.Ed25519PublicKey)
    public.verify(signature, b"ship it")
    assert client.verify(KeyId=meta["KeyId"], Message=b"ship it", Signature=signature,
                         SigningAlgorithm="ED25519_SHA_512")["SignatureValid"] is True
    code, _ = error_of(client.verify, KeyId=meta["KeyId"], Message=b"ship it!", Signature=signature,
                       SigningAlgorithm="ED25519_SHA_512")
    assert code == "KMSInvalidSignatureException"
    code, _ = error_of(client.sign, KeyId=meta["KeyId"], Message=hashlib.sha512(b"x").digest(),
                       MessageType="DIGEST", SigningAlgorithm="ED25519_SHA_512")
    assert code == "ValidationException"
    code, message = error_of(client.sign, KeyId=meta["KeyId"], Message=hashlib.sha512(b"x").digest(),
                             MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")
    assert code == "UnsupportedOperationException" and "Ed25519ph" in message


@pytest.mark.parametrize("spec, public_class", [("ML_DSA_44", mldsa.MLDSA44PublicKey),
                                                ("ML_DSA_87", mldsa.MLDSA87PublicKey)])
def test_ml_dsa_signs_raw_messages_and_external_mu(kms, spec, public_class):
    client = kms(ADMIN)
    meta = _new_key(client, spec, "SIGN_VERIFY")
    assert meta["SigningAlgorithms"] == ["ML_DSA_SHAKE_256"]
    public = serialization.load_der_public_key(client.get_public_key(KeyId=meta["KeyId"])["PublicKey"])
    assert isinstance(public, public_class)
    raw = client.sign(KeyId=meta["KeyId"], Message=b"quantum-safe", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    public.verify(raw, b"quantum-safe")
    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(b"a long document")
    mu = hasher.finalize()
    signed_mu = client.sign(KeyId=meta["KeyId"], Message=mu, MessageType="EXTERNAL_MU",
                            SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    public.verify(signed_mu, b"a long document")
    with pytest.raises(InvalidSignature):
        public.verify(signed_mu, b"another document")
    code, _ = error_of(client.sign, KeyId=meta["KeyId"], Message=mu[:32], MessageType="EXTERNAL_MU",
                       SigningAlgorithm="ML_DSA_SHAKE_256")
    assert code == "ValidationException"


def test_ml_kem_encapsulates_and_decapsulates_a_shared_secret(kms):
    client = kms(ADMIN)
    meta = _new_key(client, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE")
    assert meta["KeyUsage"] == "ENCAPSULATE_DECAPSULATE" and meta["EncapsulationAlgorithms"] == ["ML_KEM"]
    made = client.encapsulate(KeyId=meta["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert len(made["SharedSecret"]) == 32
    again = client.decapsulate(KeyId=meta["KeyId"], SharedSecretCiphertextBlob=made["SharedSecretCiphertextBlob"],
                               EncapsulationAlgorithm="ML_KEM")
    assert again["SharedSecret"] == made["SharedSecret"]
    # The other party encapsulates with the downloaded public key; KMS recovers the same secret.
    public = serialization.load_der_public_key(client.get_public_key(KeyId=meta["KeyId"])["PublicKey"])
    secret, ciphertext = public.encapsulate()
    assert client.decapsulate(KeyId=meta["KeyId"], SharedSecretCiphertextBlob=ciphertext,
                              EncapsulationAlgorithm="ML_KEM")["SharedSecret"] == secret
    code, _ = error_of(client.decapsulate, KeyId=meta["KeyId"], SharedSecretCiphertextBlob=b"short",
                       EncapsulationAlgorithm="ML_KEM")
    assert code == "InvalidCiphertextException"
    code, _ = error_of(client.encapsulate, KeyId=SHARED_KEY_ARN, EncapsulationAlgorithm="ML_KEM")
    assert code == "InvalidKeyUsageException"


def test_ml_kem_512_is_refused_with_the_reason(kms):
    code, message = error_of(kms(ADMIN).create_key, KeySpec="ML_KEM_512", KeyUsage="ENCAPSULATE_DECAPSULATE")
    assert code == "UnsupportedOperationException" and "ML-KEM-512" in message


@pytest.mark.parametrize("pair_spec", ["ECC_NIST_EDWARDS25519", "ML_KEM_768", "ML_KEM_1024"])
def test_generate_data_key_pair_with_the_new_pair_specs(kms, pair_spec):
    client = kms(ADMIN)
    pair = client.generate_data_key_pair(KeyId=SHARED_KEY_ARN, KeyPairSpec=pair_spec)
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
    assert private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]
    assert client.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"] == pair["PrivateKeyPlaintext"]


def test_another_account_uses_an_ml_kem_key_by_arn_when_the_key_policy_lets_it(kms):
    owner = kms(OWNER_ROOT)
    meta = owner.create_key(KeySpec="ML_KEM_1024", KeyUsage="ENCAPSULATE_DECAPSULATE",
                            Policy=owner.get_key_policy(KeyId=SHARED_KEY_ARN, PolicyName="default")["Policy"])["KeyMetadata"]
    made = kms(BOB).encapsulate(KeyId=meta["Arn"], EncapsulationAlgorithm="ML_KEM")
    assert owner.decapsulate(KeyId=meta["KeyId"], SharedSecretCiphertextBlob=made["SharedSecretCiphertextBlob"],
                             EncapsulationAlgorithm="ML_KEM")["SharedSecret"] == made["SharedSecret"]


def test_get_key_last_usage_reads_the_last_successful_cryptographic_call(kms):
    client = kms(ADMIN)
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    before = client.get_key_last_usage(KeyId=key_id)
    assert "KeyLastUsage" not in before and before["KeyCreationDate"] >= before["TrackingStartDate"]
    client.describe_key(KeyId=key_id)  # not a cryptographic operation
    assert "KeyLastUsage" not in client.get_key_last_usage(KeyId=key_id)
    blob = client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    error_of(client.decrypt, CiphertextBlob=blob[:-1] + bytes([blob[-1] ^ 1]))  # a failure does not count
    usage = client.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt"
    record = AuditEvent.objects.get(event_id=usage["CloudTrailEventId"])
    assert record.event_name == "Encrypt" and record.request_id == usage["KmsRequestId"]


def test_get_key_last_usage_counts_another_accounts_use_and_is_not_cross_account(kms):
    kms(BOB).encrypt(KeyId=SHARED_KEY_ARN, Plaintext=b"from the trusted account")
    usage = kms(OWNER_ROOT).get_key_last_usage(KeyId=SHARED_KEY_ARN)["KeyLastUsage"]
    owner_copy = AuditEvent.objects.get(event_id=usage["CloudTrailEventId"])
    assert owner_copy.recipient_account == OWNER and owner_copy.caller_account != OWNER
    code, _ = error_of(kms(BOB).get_key_last_usage, KeyId=SHARED_KEY_ARN)
    assert code == error_of(kms(BOB).get_key_policy, KeyId=SHARED_KEY_ARN, PolicyName="default")[0]
