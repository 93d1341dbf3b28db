"""Imported key material (Origin EXTERNAL) through boto3 against the live server: GetParametersForImport,
ImportKeyMaterial, DeleteImportedKeyMaterial, expiry, and on-demand rotation of imported material.

The client side of each import is done here with `cryptography`, as a customer would: wrap the material with
the public key KMS returned, using the wrapping algorithm asked for.
"""

import datetime as dt
import hashlib
import hmac
import json
import os
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from django.core.management import call_command

from keys import import_wrapping
from keys.models import Key
from tests.api.conftest import ADMIN, BOB, NOBODY, OWNER_ROOT, SHARED_KEY_ID, error_of
from tests.conftest import OWNER, REGION, TRUSTED

ALGORITHMS = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256")


def wrap(public_key_der: bytes, algorithm: str, material: bytes) -> bytes:
    """What a customer sends as EncryptedKeyMaterial."""
    public_key = serialization.load_der_public_key(public_key_der)
    digest = hashes.SHA256() if algorithm.endswith("SHA_256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public_key.encrypt(material, oaep)
    aes_key = os.urandom(32)
    return public_key.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def external_key(client, **params) -> str:
    return client.create_key(Origin="EXTERNAL", **params)["KeyMetadata"]["KeyId"]


def import_material(client, key_id, material, algorithm="RSAES_OAEP_SHA_256", spec="RSA_2048", **params):
    parameters = client.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    params.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return client.import_key_material(KeyId=key_id, ImportToken=parameters["ImportToken"],
                                      EncryptedKeyMaterial=wrap(parameters["PublicKey"], algorithm, material),
                                      **params)


def pkcs8(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def test_an_external_key_starts_pending_import_and_cannot_be_used(kms):
    client = kms()
    metadata = client.create_key(Origin="EXTERNAL", Description="byok")["KeyMetadata"]
    assert (metadata["Origin"], metadata["KeyState"], metadata["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    assert "ExpirationModel" not in metadata and "CurrentKeyMaterialId" not in metadata
    assert error_of(client.encrypt, KeyId=metadata["KeyId"], Plaintext=b"x") == (
        "KMSInvalidStateException", f"{metadata['Arn']} is pending import.")
    assert error_of(client.enable_key, KeyId=metadata["KeyId"])[0] == "KMSInvalidStateException"
    code, message = error_of(client.create_key, Origin="EXTERNAL", KeySpec="ML_DSA_44", KeyUsage="SIGN_VERIFY")
    assert code == "UnsupportedOperationException" and "EXTERNAL" in message


def test_every_wrapping_algorithm_imports_symmetric_material_that_encrypts(kms):
    client = kms()
    for algorithm in ALGORITHMS:
        key_id = external_key(client)
        material = os.urandom(32)
        before = dt.datetime.now(dt.timezone.utc)
        parameters = client.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm,
                                                      WrappingKeySpec="RSA_2048")
        assert parameters["KeyId"].endswith(key_id)
        assert abs(parameters["ParametersValidTo"] - (before + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
        assert serialization.load_der_public_key(parameters["PublicKey"]).key_size == 2048
        imported = client.import_key_material(
            KeyId=key_id, ImportToken=parameters["ImportToken"],
            EncryptedKeyMaterial=wrap(parameters["PublicKey"], algorithm, material),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
        assert metadata["KeyState"] == "Enabled"
        assert metadata["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE" and "ValidTo" not in metadata
        assert metadata["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
        blob = client.encrypt(KeyId=key_id, Plaintext=b"data under imported key")["CiphertextBlob"]
        assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"data under imported key"


def test_every_wrapping_key_spec_gives_a_fresh_rsa_key_of_its_size(kms):
    client = kms()
    key_id = external_key(client)
    seen = set()
    for spec, bits in (("RSA_2048", 2048), ("RSA_3072", 3072), ("RSA_4096", 4096)):
        public_key = client.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256",
                                                      WrappingKeySpec=spec)["PublicKey"]
        assert serialization.load_der_public_key(public_key).key_size == bits
        seen.add(public_key)
    import_material(client, key_id, os.urandom(32), algorithm="RSA_AES_KEY_WRAP_SHA_256", spec="RSA_4096")
    assert len(seen) == 3
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_deleted_material_can_be_imported_again_and_old_ciphertexts_decrypt(kms):
    client = kms()
    key_id = external_key(client)
    material = os.urandom(32)
    material_id = import_material(client, key_id, material)["KeyMaterialId"]
    blob = client.encrypt(KeyId=key_id, Plaintext=b"before deletion")["CiphertextBlob"]

    deleted = client.delete_imported_key_material(KeyId=key_id)
    assert deleted["KeyMaterialId"] == material_id
    metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingImport" and "ExpirationModel" not in metadata
    assert error_of(client.decrypt, CiphertextBlob=blob)[0] == "KMSInvalidStateException"

    assert error_of(import_material, client, key_id, os.urandom(32))[0] == "IncorrectKeyMaterialException"
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert import_material(client, key_id, material, algorithm="RSA_AES_KEY_WRAP_SHA_1")["KeyMaterialId"] == \
        material_id
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before deletion"


def test_material_that_expires_is_deleted_and_recorded_as_aws_does(kms, aws):
    client = kms()
    key_id = external_key(client)
    valid_to = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=8)
    material_id = import_material(client, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES",
                                  ValidTo=valid_to)["KeyMaterialId"]
    metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(metadata["ValidTo"] - valid_to) < dt.timedelta(seconds=1)
    client.encrypt(KeyId=key_id, Plaintext=b"x")

    time.sleep(max(0.0, (valid_to - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.5)
    assert error_of(client.encrypt, KeyId=key_id, Plaintext=b"x")[0] == "KMSInvalidStateException"
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"

    events = aws("cloudtrail", OWNER_ROOT).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DeleteExpiredKeyMaterial"}])["Events"]
    assert len(events) == 1
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventType"] == "AwsServiceEvent"
    assert record["userIdentity"] == {"accountId": OWNER, "invokedBy": "AWS Internal"}
    assert record["serviceEventDetails"] == {"keyId": key_id, "keyMaterialId": material_id}
    assert record["resources"][0]["ARN"] == f"arn:aws:kms:{REGION}:{OWNER}:key/{key_id}"
    assert record["requestParameters"] is None and record["readOnly"] is False


def test_the_expiry_command_deletes_due_material_nobody_touches(kms, aws):
    client = kms()
    key_id = external_key(client)
    import_material(client, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES",
                    ValidTo=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30))
    # Thirty days pass: move the dates back rather than wait.
    key = Key.objects.get(key_id=key_id)
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    key.materials.update(valid_to=past)
    Key.objects.filter(pk=key.pk).update(material_expires_at=past)
    call_command("expire_key_material", stdout=open(os.devnull, "w"))
    assert Key.objects.get(pk=key.pk).state == "PendingImport"
    call_command("expire_key_material", stdout=open(os.devnull, "w"))  # nothing left to do, nothing recorded
    events = aws("cloudtrail", OWNER_ROOT).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DeleteExpiredKeyMaterial"}])["Events"]
    assert len(events) == 1


def test_expiry_noticed_by_a_refused_call_is_kept_though_the_call_rolls_back(kms, aws):
    client = kms()
    key_id = external_key(client)
    import_material(client, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES",
                    ValidTo=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    Key.objects.get(key_id=key_id).materials.update(valid_to=past)
    Key.objects.filter(key_id=key_id).update(material_expires_at=past)
    # TagResource runs in a transaction that Nobody's denial rolls back; the expiry must survive it.
    assert error_of(kms(NOBODY).tag_resource, KeyId=key_id, Tags=[{"TagKey": "t", "TagValue": "v"}])[0] == \
        "AccessDeniedException"
    assert Key.objects.get(key_id=key_id).state == "PendingImport"
    events = aws("cloudtrail", OWNER_ROOT).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DeleteExpiredKeyMaterial"}])["Events"]
    assert len(events) == 1


def test_bad_tokens_wrappings_and_expiry_settings_get_aws_errors(kms):
    client = kms()
    key_id, other_key = external_key(client), external_key(client)
    arn = f"arn:aws:kms:{REGION}:{OWNER}:key/{key_id}"
    material = os.urandom(32)
    parameters = client.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                  WrappingKeySpec="RSA_2048")
    good = wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", material)
    never = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}

    assert error_of(client.import_key_material, KeyId=key_id, ImportToken=b"not a token",
                    EncryptedKeyMaterial=good, **never)[0] == "InvalidImportTokenException"
    assert error_of(client.import_key_material, KeyId=other_key, ImportToken=parameters["ImportToken"],
                    EncryptedKeyMaterial=good, **never)[0] == "InvalidImportTokenException"
    stale = import_wrapping.open_token(parameters["ImportToken"])
    stale = import_wrapping.ImportParameters(stale.key_arn, stale.wrapping_algorithm, stale.wrapping_key_spec,
                                             dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1),
                                             stale.private_key_der)
    assert error_of(client.import_key_material, KeyId=key_id, ImportToken=import_wrapping.seal_token(stale),
                    EncryptedKeyMaterial=good, **never)[0] == "ExpiredImportTokenException"
    someone_elses = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert error_of(client.import_key_material, KeyId=key_id, ImportToken=parameters["ImportToken"],
                    EncryptedKeyMaterial=wrap(someone_elses, "RSAES_OAEP_SHA_256", material), **never) == (
        "InvalidCiphertextException", "")
    assert error_of(client.import_key_material, KeyId=key_id, ImportToken=parameters["ImportToken"],
                    EncryptedKeyMaterial=wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(16)),
                    **never)[0] == "IncorrectKeyMaterialException"
    code, message = error_of(client.import_key_material, KeyId=key_id, ImportToken=parameters["ImportToken"],
                             EncryptedKeyMaterial=good)
    assert code == "ValidationException" and "KEY_MATERIAL_EXPIRES" in message
    code, _ = error_of(client.import_key_material, KeyId=key_id, ImportToken=parameters["ImportToken"],
                       EncryptedKeyMaterial=good, ValidTo=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1),
                       **never)
    assert code == "ValidationException"
    for valid_to in (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1),
                     dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=366)):
        assert error_of(client.import_key_material, KeyId=key_id, ImportToken=parameters["ImportToken"],
                        EncryptedKeyMaterial=good, ExpirationModel="KEY_MATERIAL_EXPIRES",
                        ValidTo=valid_to)[0] == "ValidationException"
    # Nothing above changed the key.
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    client.import_key_material(KeyId=key_id, ImportToken=parameters["ImportToken"], EncryptedKeyMaterial=good,
                               **never)
    assert client.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"


def test_parameters_are_refused_for_keys_and_algorithms_that_cannot_import(kms):
    client = kms()
    shared_arn = f"arn:aws:kms:{REGION}:{OWNER}:key/{SHARED_KEY_ID}"
    assert error_of(client.get_parameters_for_import, KeyId=SHARED_KEY_ID, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                    WrappingKeySpec="RSA_2048") == (
        "UnsupportedOperationException", f"{shared_arn} origin is AWS_KMS which is not valid for this operation.")
    assert error_of(client.delete_imported_key_material, KeyId=SHARED_KEY_ID)[0] == "UnsupportedOperationException"
    key_id = external_key(client)
    assert error_of(client.get_parameters_for_import, KeyId=key_id, WrappingAlgorithm="RSAES_PKCS1_V1_5",
                    WrappingKeySpec="RSA_2048")[0] == "ValidationException"
    code, message = error_of(client.get_parameters_for_import, KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                             WrappingKeySpec="SM2")
    assert code == "ValidationException"
    assert message.endswith("Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096]")
    assert error_of(client.get_parameters_for_import, KeyId="alias/shared", WrappingAlgorithm="RSAES_OAEP_SHA_256",
                    WrappingKeySpec="RSA_2048")[0] == "NotFoundException"
    rsa_key = external_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    assert error_of(client.get_parameters_for_import, KeyId=rsa_key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                    WrappingKeySpec="RSA_4096")[0] == "ValidationException"
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert error_of(client.get_parameters_for_import, KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                    WrappingKeySpec="RSA_2048")[0] == "KMSInvalidStateException"


def test_asymmetric_and_hmac_material_is_the_customers_own(kms):
    client = kms()
    signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_key = external_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    # An RSA private key is too long for RSAES_OAEP: only the RSA_AES algorithms are offered for one.
    assert error_of(import_material, client, rsa_key, pkcs8(signer))[0] == "ValidationException"
    import_material(client, rsa_key, pkcs8(signer), algorithm="RSA_AES_KEY_WRAP_SHA_256")
    signature = client.sign(KeyId=rsa_key, Message=b"hello", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    signer.public_key().verify(signature, b"hello", padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                                 salt_length=hashes.SHA256().digest_size),
                               hashes.SHA256())

    curve_key = ec.generate_private_key(ec.SECP256R1())
    ecc_key = external_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    assert error_of(import_material, client, ecc_key, pkcs8(ec.generate_private_key(ec.SECP384R1())))[0] == \
        "IncorrectKeyMaterialException"
    import_material(client, ecc_key, pkcs8(curve_key), algorithm="RSAES_OAEP_SHA_256")
    assert client.get_public_key(KeyId=ecc_key)["PublicKey"] == curve_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert error_of(import_material, client, ecc_key, pkcs8(ec.generate_private_key(ec.SECP256R1())))[0] == \
        "IncorrectKeyMaterialException"

    secret = os.urandom(32)
    mac_key = external_key(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    assert error_of(import_material, client, mac_key, os.urandom(16))[0] == "IncorrectKeyMaterialException"
    import_material(client, mac_key, secret)
    mac = client.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"m", hashlib.sha256).digest()
    assert error_of(import_material, client, mac_key, secret, ImportType="NEW_KEY_MATERIAL")[0] == \
        "ValidationException"


def test_new_key_material_waits_for_on_demand_rotation(kms):
    client = kms()
    key_id = external_key(client)
    first, second = os.urandom(32), os.urandom(32)
    first_id = import_material(client, key_id, first, KeyMaterialDescription="first")["KeyMaterialId"]
    old_blob = client.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    assert error_of(client.rotate_key_on_demand, KeyId=key_id)[0] == "KMSInvalidStateException"
    assert error_of(import_material, client, key_id, second, ImportType="NEW_KEY_MATERIAL",
                    KeyMaterialId=first_id)[0] == "ValidationException"
    assert error_of(import_material, client, key_id, second, KeyMaterialId=first_id)[0] == \
        "IncorrectKeyMaterialException"
    second_id = import_material(client, key_id, second, ImportType="NEW_KEY_MATERIAL",
                                KeyMaterialDescription="second")["KeyMaterialId"]

    listed = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"], r["KeyMaterialDescription"])
            for r in listed] == [(first_id, "CURRENT", "IMPORTED", "first"),
                                 (second_id, "PENDING_ROTATION", "IMPORTED", "second")]
    assert client.decrypt(CiphertextBlob=client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"])[
        "KeyMaterialId"] == first_id

    client.rotate_key_on_demand(KeyId=key_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == second_id
    assert client.decrypt(CiphertextBlob=client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"])[
        "KeyMaterialId"] == second_id
    assert client.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
    rotations = client.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"], r["KeyMaterialState"]) for r in rotations] == [
        (second_id, "ON_DEMAND", "CURRENT")]

    # Deleting a non-current material only stops its own ciphertexts.
    client.delete_imported_key_material(KeyId=key_id, KeyMaterialId=first_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert error_of(client.decrypt, CiphertextBlob=old_blob)[0] == "KMSInvalidStateException"
    import_material(client, key_id, first, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first_id)
    assert client.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"


def test_only_the_key_owners_principals_with_permission_import(kms, aws):
    owner = kms()
    shared_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Trusted may do anything", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
         "Action": "kms:*", "Resource": "*"}]})
    key_arn = owner.create_key(Origin="EXTERNAL", Policy=shared_policy)["KeyMetadata"]["Arn"]
    for client in (kms(NOBODY), kms(BOB)):
        assert error_of(client.get_parameters_for_import, KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                        WrappingKeySpec="RSA_2048")[0] == "AccessDeniedException"
        assert error_of(client.delete_imported_key_material, KeyId=key_arn)[0] == "AccessDeniedException"
    parameters = owner.get_parameters_for_import(KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                 WrappingKeySpec="RSA_2048")
    wrapped = wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    assert error_of(kms(BOB).import_key_material, KeyId=key_arn, ImportToken=parameters["ImportToken"],
                    EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")[0] == \
        "AccessDeniedException"
    kms(ADMIN).import_key_material(KeyId=key_arn, ImportToken=parameters["ImportToken"], EncryptedKeyMaterial=wrapped,
                                   ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")

    events = aws("cloudtrail", OWNER_ROOT).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ImportKeyMaterial"}])["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["userIdentity"]["userName"] == "Admin"
    assert record["requestParameters"] == {"keyId": key_arn, "expirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    assert set(record["responseElements"]) == {"keyId", "keyMaterialId"}
    token_text = parameters["ImportToken"].decode("latin-1")
    for event in events + aws("cloudtrail", OWNER_ROOT).lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetParametersForImport"}])["Events"]:
        assert token_text[:40] not in event["CloudTrailEvent"]
        assert "importToken" not in event["CloudTrailEvent"] and "publicKey" not in event["CloudTrailEvent"]
