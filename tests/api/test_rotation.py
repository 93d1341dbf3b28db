"""Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations."""

import boto3
from botocore.config import Config

from tests.api.conftest import BOB, OWNER_ROOT, SHARED_KEY_ARN, SHARED_KEY_ID, error_of
from tests.conftest import REGION


def test_enable_and_disable_rotation(kms):
    client = kms()
    assert client.get_key_rotation_status(KeyId=SHARED_KEY_ID)["KeyRotationEnabled"] is False
    client.enable_key_rotation(KeyId=SHARED_KEY_ID)
    status = client.get_key_rotation_status(KeyId=SHARED_KEY_ID)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    assert status["KeyId"] == SHARED_KEY_ARN and "NextRotationDate" in status
    client.enable_key_rotation(KeyId=SHARED_KEY_ID, RotationPeriodInDays=90)
    assert client.get_key_rotation_status(KeyId=SHARED_KEY_ID)["RotationPeriodInDays"] == 90
    client.disable_key_rotation(KeyId=SHARED_KEY_ID)
    assert client.get_key_rotation_status(KeyId=SHARED_KEY_ID)["KeyRotationEnabled"] is False


def test_rotation_period_must_be_90_to_2560_days(world, live_server):
    # boto3 checks the range itself; switch that off to see the server's answer.
    client = boto3.client("kms", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=OWNER_ROOT[0],
                          aws_secret_access_key=OWNER_ROOT[1], config=Config(parameter_validation=False))
    for days in (89, 2561):
        assert error_of(client.enable_key_rotation, KeyId=SHARED_KEY_ID, RotationPeriodInDays=days)[0] == \
            "ValidationException"


def test_rotation_status_works_across_accounts_but_enabling_does_not(kms):
    assert kms(BOB).get_key_rotation_status(KeyId=SHARED_KEY_ARN)["KeyRotationEnabled"] is False
    assert error_of(kms(BOB).enable_key_rotation, KeyId=SHARED_KEY_ARN)[0] == "AccessDeniedException"


def test_rotation_is_only_for_symmetric_keys(kms):
    client = kms()
    signer = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    for call in (client.enable_key_rotation, client.get_key_rotation_status, client.rotate_key_on_demand):
        assert error_of(call, KeyId=signer)[0] == "UnsupportedOperationException"


def test_rotation_of_a_disabled_key_is_refused(kms):
    client = kms()
    client.disable_key(KeyId=SHARED_KEY_ID)
    assert error_of(client.enable_key_rotation, KeyId=SHARED_KEY_ID) == (
        "DisabledException", f"{SHARED_KEY_ARN} is disabled.")


def test_rotate_on_demand_keeps_old_ciphertext_readable_and_is_listed(kms):
    client = kms()
    before = client.describe_key(KeyId=SHARED_KEY_ID)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert client.list_key_rotations(KeyId=SHARED_KEY_ID)["Rotations"] == []
    assert client.rotate_key_on_demand(KeyId=SHARED_KEY_ID)["KeyId"] == SHARED_KEY_ARN
    after = client.describe_key(KeyId=SHARED_KEY_ID)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert after != before
    rotations = client.list_key_rotations(KeyId=SHARED_KEY_ID)["Rotations"]
    assert len(rotations) == 1
    assert rotations[0]["RotationType"] == "ON_DEMAND" and rotations[0]["KeyId"] == SHARED_KEY_ARN
    assert rotations[0]["KeyMaterialId"] == after and rotations[0]["KeyMaterialState"] == "CURRENT"
    everything = client.list_key_rotations(KeyId=SHARED_KEY_ID, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [r["KeyMaterialState"] for r in everything] == ["NON_CURRENT", "CURRENT"]
    assert error_of(kms(BOB).rotate_key_on_demand, KeyId=SHARED_KEY_ARN)[0] == "AccessDeniedException"
