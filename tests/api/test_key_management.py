"""CreateKey, DescribeKey, ListKeys, UpdateKeyDescription and the unsupported operations, through boto3."""

import json

from tests.api.conftest import ADMIN, BOB, NOBODY, SHARED_KEY_ARN, SHARED_KEY_ID, error_of
from tests.conftest import OWNER, REGION, TRUSTED


def test_create_key_without_arguments_gives_a_symmetric_key_with_the_default_policy(kms):
    client = kms()
    metadata = client.create_key()["KeyMetadata"]
    assert metadata["AWSAccountId"] == OWNER
    assert metadata["Arn"] == f"arn:aws:kms:{REGION}:{OWNER}:key/{metadata['KeyId']}"
    assert metadata["Enabled"] is True
    assert metadata["KeyState"] == "Enabled"
    assert metadata["Description"] == ""
    assert metadata["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert metadata["KeySpec"] == metadata["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert metadata["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert metadata["Origin"] == "AWS_KMS" and metadata["KeyManager"] == "CUSTOMER"
    assert metadata["MultiRegion"] is False
    assert len(metadata["CurrentKeyMaterialId"]) == 64
    for absent in ("DeletionDate", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms"):
        assert absent not in metadata
    policy = json.loads(client.get_key_policy(KeyId=metadata["KeyId"])["Policy"])
    assert policy["Id"] == "key-default-1"
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{OWNER}:root"}


def test_create_key_asymmetric_and_hmac_report_their_algorithms(kms):
    client = kms()
    rsa = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Description="signer")["KeyMetadata"]
    assert rsa["SigningAlgorithms"][0].startswith("RSASSA_")
    assert "EncryptionAlgorithms" not in rsa and "CurrentKeyMaterialId" not in rsa
    assert rsa["Description"] == "signer"
    hmac = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert hmac["MacAlgorithms"] == ["HMAC_SHA_256"]
    ecc = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    assert ecc["KeyAgreementAlgorithms"] == ["ECDH"]


def test_create_key_refuses_missing_or_incompatible_key_usage(kms):
    client = kms()
    assert error_of(client.create_key, KeySpec="RSA_2048") == (
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
    assert error_of(client.create_key, KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT") == (
        "ValidationException", "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048")
    code, _ = error_of(client.create_key, KeySpec="RSA_2048", CustomerMasterKeySpec="RSA_2048",
                       KeyUsage="SIGN_VERIFY")
    assert code == "ValidationException"


def test_create_key_refuses_what_the_emulator_does_not_offer(kms):
    client = kms()
    assert error_of(client.create_key, Origin="AWS_CLOUDHSM")[0] == "UnsupportedOperationException"
    assert error_of(client.create_key, KeySpec="ML_KEM_512", KeyUsage="ENCAPSULATE_DECAPSULATE")[0] == \
        "UnsupportedOperationException"


def test_create_key_needs_iam_permission(kms):
    code, message = error_of(kms(NOBODY).create_key)
    assert code == "AccessDeniedException"
    assert message.startswith(f"User: arn:aws:iam::{OWNER}:user/Nobody is not authorized to perform: kms:CreateKey")
    assert kms(ADMIN).create_key()["KeyMetadata"]["KeyState"] == "Enabled"


def test_create_key_with_policy_tags_and_description(kms):
    client = kms(ADMIN)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:user/Admin"}, "Action": "kms:*",
         "Resource": "*"}]})
    key_id = client.create_key(Policy=policy, Tags=[{"TagKey": "Team", "TagValue": "blue"}])["KeyMetadata"]["KeyId"]
    assert client.get_key_policy(KeyId=key_id)["Policy"] == policy
    assert client.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "Team", "TagValue": "blue"}]


def test_create_key_policy_problems_are_malformed_policy_documents(kms):
    client = kms()
    no_principal = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})
    assert error_of(client.create_key, Policy=no_principal) == (
        "MalformedPolicyDocumentException", "Policy contains a statement with no principal.")
    ghost = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:user/Ghost"}, "Action": "kms:*",
         "Resource": "*"}]})
    assert error_of(client.create_key, Policy=ghost) == (
        "MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
    assert error_of(client.create_key, Policy="{not json")[0] == "MalformedPolicyDocumentException"
    huge = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "x" * 40000, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
         "Action": "kms:*", "Resource": "*"}]})
    assert error_of(client.create_key, Policy=huge)[0] == "LimitExceededException"


def test_create_key_lockout_check_and_its_bypass(kms):
    client = kms(ADMIN)
    others_only = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:user/Nobody"}, "Action": "kms:*",
         "Resource": "*"}]})
    assert error_of(client.create_key, Policy=others_only) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.")
    metadata = client.create_key(Policy=others_only, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled"


def test_describe_key_by_id_arn_alias_and_alias_arn(kms):
    client = kms()
    for identifier in (SHARED_KEY_ID, SHARED_KEY_ARN, "alias/shared", f"arn:aws:kms:{REGION}:{OWNER}:alias/shared"):
        metadata = client.describe_key(KeyId=identifier)["KeyMetadata"]
        assert metadata["KeyId"] == SHARED_KEY_ID and metadata["Arn"] == SHARED_KEY_ARN


def test_describe_key_not_found_messages(kms):
    client = kms()
    missing = "00000000-0000-4000-8000-000000000000"
    assert error_of(client.describe_key, KeyId=missing) == (
        "NotFoundException", f"Key 'arn:aws:kms:{REGION}:{OWNER}:key/{missing}' does not exist")
    assert error_of(client.describe_key, KeyId="alias/nothing") == (
        "NotFoundException", f"Alias arn:aws:kms:{REGION}:{OWNER}:alias/nothing is not found.")
    assert error_of(client.describe_key, KeyId="not-a-key") == ("NotFoundException", "Invalid keyId 'not-a-key'")
    assert error_of(client.describe_key, KeyId=SHARED_KEY_ARN.replace(REGION, "us-east-1")) == (
        "NotFoundException", "Invalid arn us-east-1")


def test_describe_key_across_accounts_only_by_arn(kms):
    bob = kms(BOB)
    assert bob.describe_key(KeyId=SHARED_KEY_ARN)["KeyMetadata"]["AWSAccountId"] == OWNER
    assert bob.describe_key(KeyId=f"arn:aws:kms:{REGION}:{OWNER}:alias/shared")["KeyMetadata"]["KeyId"] == \
        SHARED_KEY_ID
    assert error_of(bob.describe_key, KeyId=SHARED_KEY_ID) == (
        "NotFoundException", f"Key 'arn:aws:kms:{REGION}:{TRUSTED}:key/{SHARED_KEY_ID}' does not exist")


def test_list_keys_shows_own_account_and_region_only_and_pages(kms):
    client = kms()
    created = [client.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)]
    listed = client.list_keys()
    assert listed["Truncated"] is False
    assert {k["KeyId"] for k in listed["Keys"]} == {SHARED_KEY_ID, *created}
    assert all(k["KeyArn"] == f"arn:aws:kms:{REGION}:{OWNER}:key/{k['KeyId']}" for k in listed["Keys"])
    first = client.list_keys(Limit=2)
    assert first["Truncated"] is True and len(first["Keys"]) == 2
    rest = client.list_keys(Limit=2, Marker=first["NextMarker"])
    assert rest["Truncated"] is False
    assert {k["KeyId"] for k in first["Keys"] + rest["Keys"]} == {SHARED_KEY_ID, *created}
    assert kms(BOB).list_keys()["Keys"] == []
    assert kms(region="us-east-1").list_keys()["Keys"] == []
    assert error_of(client.list_keys, Marker="garbage")[0] == "InvalidMarkerException"
    assert error_of(kms(NOBODY).list_keys)[0] == "AccessDeniedException"


def test_update_key_description(kms):
    client = kms()
    client.update_key_description(KeyId=SHARED_KEY_ID, Description="new words")
    assert client.describe_key(KeyId=SHARED_KEY_ID)["KeyMetadata"]["Description"] == "new words"
    assert error_of(client.update_key_description, KeyId="alias/shared", Description="x")[0] == "NotFoundException"
    assert error_of(kms(NOBODY).update_key_description, KeyId=SHARED_KEY_ID, Description="x")[0] == \
        "AccessDeniedException"


def test_unsupported_operations_say_so(kms):
    client = kms()
    code, message = error_of(client.create_custom_key_store, CustomKeyStoreName="store", CloudHsmClusterId="cluster-234567abcdef",
                             TrustAnchorCertificate="cert", KeyStorePassword="password1")
    assert code == "UnsupportedOperationException" and "custom key stores" in message
    assert error_of(client.get_parameters_for_import, KeyId=SHARED_KEY_ID, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                    WrappingKeySpec="RSA_2048")[0] == "UnsupportedOperationException"
    assert error_of(client.replicate_key, KeyId=SHARED_KEY_ID, ReplicaRegion="us-east-1")[0] == \
        "UnsupportedOperationException"
    assert error_of(client.describe_custom_key_stores)[0] == "UnsupportedOperationException"
