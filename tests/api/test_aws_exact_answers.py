"""Answers that must be exactly AWS's recorded ones (issue 15): each a regression test through boto3 against
the live server. The expected texts are AWS's, as recorded in LocalStack's and moto's AWS-validated tests."""

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization

from tests.api.conftest import SHARED_KEY_ID, error_of
from tests.conftest import OWNER, REGION

KEY_SPECS_IN_AWS_ORDER = ("RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, "
                          "ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512")


def test_decrypt_and_reencrypt_naming_an_hmac_key_is_incorrect_key(kms):
    client = kms()
    mac_key = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=SHARED_KEY_ID, Plaintext=b"for the shared key")["CiphertextBlob"]
    expected = ("IncorrectKeyException",
                "The key ID in the request does not identify a CMK that can perform this operation.")
    assert error_of(client.decrypt, CiphertextBlob=blob, KeyId=mac_key) == expected
    assert error_of(client.re_encrypt, CiphertextBlob=blob, SourceKeyId=mac_key,
                    DestinationKeyId=SHARED_KEY_ID) == expected


def test_tag_keys_starting_with_aws_are_reserved_in_any_case(kms):
    client = kms()
    for tag_key in ("aws:key1", "AWS:key1", "Aws:key1", "aWs:key1"):
        assert error_of(client.tag_resource, KeyId=SHARED_KEY_ID, Tags=[{"TagKey": tag_key, "TagValue": "v"}]) == (
            "TagException", "Tags beginning with aws: are reserved")
        assert error_of(client.create_key, Tags=[{"TagKey": tag_key, "TagValue": "v"}])[0] == "TagException"
    assert [t["TagKey"] for t in client.list_resource_tags(KeyId=SHARED_KEY_ID)["Tags"]] == ["Team"]


def test_alias_names_with_a_colon_contain_invalid_characters(kms):
    client = kms()
    assert error_of(client.create_alias, AliasName="alias/my:alias", TargetKeyId=SHARED_KEY_ID) == (
        "ValidationException", "alias/my:alias contains invalid characters for an alias")
    assert error_of(client.update_alias, AliasName="alias/shared:x", TargetKeyId=SHARED_KEY_ID) == (
        "ValidationException", "alias/shared:x contains invalid characters for an alias")
    client.create_alias(AliasName="alias/my-alias_/ok", TargetKeyId=SHARED_KEY_ID)


def test_rotating_an_asymmetric_key_on_demand_is_unsupported_with_no_message(kms):
    client = kms()
    key_id = client.create_key(KeySpec="RSA_4096", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    assert error_of(client.rotate_key_on_demand, KeyId=key_id) == ("UnsupportedOperationException", "")


def test_rotating_an_external_key_without_material_names_its_origin(kms):
    client = kms()
    metadata = client.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert error_of(client.rotate_key_on_demand, KeyId=metadata["KeyId"]) == (
        "UnsupportedOperationException", f"{metadata['Arn']} origin is EXTERNAL which is not valid for this operation.")


def test_deriving_a_shared_secret_from_an_invalid_public_key_has_no_message(kms):
    client = kms()
    key_id = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    assert error_of(client.derive_shared_secret, KeyId=key_id, KeyAgreementAlgorithm="ECDH",
                    PublicKey=b"not a public key") == ("ValidationException", "")
    other_curve = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert error_of(client.derive_shared_secret, KeyId=key_id, KeyAgreementAlgorithm="ECDH",
                    PublicKey=other_curve) == ("ValidationException", "")


def test_enum_values_are_listed_in_aws_order_without_sm2_outside_china(kms):
    client = kms()
    code, message = error_of(client.create_key, KeySpec="HMAC_random", KeyUsage="GENERATE_VERIFY_MAC")
    assert code == "ValidationException"
    prefix = ("1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: "
              f"Member must satisfy enum value set: [{KEY_SPECS_IN_AWS_ORDER}")
    assert message.startswith(prefix)
    assert "SM2" not in message
    code, message = error_of(client.create_key, KeyUsage="RANDOM")
    assert message.startswith("1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, "
                              "GENERATE_VERIFY_MAC")
    # SM2 exists only in the China Regions: elsewhere it is not a value at all.
    code, message = error_of(client.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    assert code == "ValidationException" and message.startswith("1 validation error detected: Value 'SM2'")


def test_list_aliases_lists_the_aws_managed_aliases_without_a_target(kms):
    client = kms()
    aliases = client.list_aliases()["Aliases"]
    names = [a["AliasName"] for a in aliases]
    assert names[0] == "alias/shared"  # the account's own aliases first
    managed = [a for a in aliases if a["AliasName"].startswith("alias/aws/")]
    assert {"alias/aws/ebs", "alias/aws/s3", "alias/aws/rds", "alias/aws/lambda"} <= {a["AliasName"] for a in managed}
    assert managed == sorted(managed, key=lambda a: a["AliasName"])
    for alias in managed:
        assert alias == {"AliasName": alias["AliasName"],
                         "AliasArn": f"arn:aws:kms:{REGION}:{OWNER}:{alias['AliasName']}"}
    assert [a["AliasName"] for a in client.list_aliases(KeyId=SHARED_KEY_ID)["Aliases"]] == ["alias/shared"]
