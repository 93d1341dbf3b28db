"""Multi-Region keys over boto3: CreateKey MultiRegion, ReplicateKey, UpdatePrimaryRegion, shared material,
per-Region key policies (so per-Region sharing with another account), rotation of the set, and deletion rules."""

import json

import pytest

from keys.models import Key
from tests.api.conftest import ADMIN, BOB, NOBODY, OWNER_ROOT, error_of
from tests.conftest import OWNER, REGION, TRUSTED

OTHER_REGION = "eu-west-1"


def _policy(*extra):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
         "Action": "kms:*", "Resource": "*"}, *extra]})


SHARE_WITH_TRUSTED = {"Sid": "Allow use of the key", "Effect": "Allow",
                      "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
                      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}


@pytest.fixture
def mrk(kms):
    """A multi-Region primary in us-west-2 shared with 444455556666, and its replica in eu-west-1 that is not."""
    owner = kms(ADMIN)
    primary = owner.create_key(MultiRegion=True, Policy=_policy(SHARE_WITH_TRUSTED),
                               Description="primary")["KeyMetadata"]
    replica = owner.replicate_key(KeyId=primary["KeyId"], ReplicaRegion=OTHER_REGION, Policy=_policy(),
                                  Description="replica", Tags=[{"TagKey": "Where", "TagValue": "Dublin"}])
    return primary, replica


def test_create_and_replicate(kms, mrk):
    primary, replica = mrk
    assert primary["KeyId"].startswith("mrk-") and len(primary["KeyId"]) == 36 and primary["MultiRegion"] is True
    assert primary["MultiRegionConfiguration"] == {"MultiRegionKeyType": "PRIMARY", "ReplicaKeys": [],
                                                   "PrimaryKey": {"Arn": primary["Arn"], "Region": REGION}}
    metadata = replica["ReplicaKeyMetadata"]
    assert metadata["KeyId"] == primary["KeyId"]
    assert metadata["Arn"] == f"arn:aws:kms:{OTHER_REGION}:{OWNER}:key/{primary['KeyId']}"
    assert metadata["Description"] == "replica" and replica["ReplicaTags"] == [{"TagKey": "Where",
                                                                                "TagValue": "Dublin"}]
    assert json.loads(replica["ReplicaPolicy"]) == json.loads(_policy())
    seen_from_primary = kms(ADMIN).describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    seen_from_replica = kms(ADMIN, region=OTHER_REGION).describe_key(
        KeyId=primary["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert seen_from_primary["ReplicaKeys"] == [{"Arn": metadata["Arn"], "Region": OTHER_REGION}]
    assert seen_from_replica["MultiRegionKeyType"] == "REPLICA"
    assert seen_from_replica["PrimaryKey"] == {"Arn": primary["Arn"], "Region": REGION}


def test_a_ciphertext_of_one_region_decrypts_in_the_other(kms, mrk):
    primary, _ = mrk
    blob = kms(ADMIN).encrypt(KeyId=primary["KeyId"], Plaintext=b"dr test")["CiphertextBlob"]
    there = kms(ADMIN, region=OTHER_REGION).decrypt(CiphertextBlob=blob)
    assert there["Plaintext"] == b"dr test" and there["KeyId"].startswith(f"arn:aws:kms:{OTHER_REGION}:")
    back = kms(ADMIN, region=OTHER_REGION).encrypt(KeyId=primary["KeyId"], Plaintext=b"back")["CiphertextBlob"]
    assert kms(ADMIN).decrypt(CiphertextBlob=back, KeyId=primary["KeyId"])["Plaintext"] == b"back"


def test_each_region_decides_cross_account_use_by_its_own_key_policy(kms, mrk):
    primary, replica = mrk
    bob = kms(BOB)
    bob.encrypt(KeyId=primary["Arn"], Plaintext=b"allowed in us-west-2")
    code, message = error_of(kms(BOB, region=OTHER_REGION).encrypt, KeyId=replica["ReplicaKeyMetadata"]["Arn"],
                             Plaintext=b"not in eu-west-1")
    assert code == "AccessDeniedException" and "kms:Encrypt" in message
    kms(ADMIN, region=OTHER_REGION).put_key_policy(KeyId=primary["KeyId"], PolicyName="default",
                                                   Policy=_policy(SHARE_WITH_TRUSTED))
    kms(BOB, region=OTHER_REGION).encrypt(KeyId=replica["ReplicaKeyMetadata"]["Arn"], Plaintext=b"now allowed")


def test_replicate_key_refusals(kms, mrk):
    primary, _ = mrk
    owner = kms(ADMIN)
    assert error_of(owner.replicate_key, KeyId=primary["KeyId"], ReplicaRegion=OTHER_REGION)[0] == \
        "AlreadyExistsException"
    single = owner.create_key()["KeyMetadata"]["KeyId"]
    assert error_of(owner.replicate_key, KeyId=single, ReplicaRegion=OTHER_REGION)[0] == \
        "UnsupportedOperationException"
    assert error_of(kms(ADMIN, region=OTHER_REGION).replicate_key, KeyId=primary["KeyId"],
                    ReplicaRegion="us-east-1")[0] == "UnsupportedOperationException"  # a replica
    assert error_of(owner.replicate_key, KeyId=primary["KeyId"], ReplicaRegion=REGION)[0] == "ValidationException"
    assert error_of(kms(NOBODY).replicate_key, KeyId=primary["Arn"], ReplicaRegion="us-east-1")[0] == \
        "AccessDeniedException"
    assert error_of(kms(BOB).replicate_key, KeyId=primary["Arn"], ReplicaRegion="us-east-1")[0] == \
        "AccessDeniedException"
    assert Key.objects.filter(key_id=primary["KeyId"]).count() == 2


def test_update_primary_region(kms, mrk):
    primary, replica = mrk
    kms(ADMIN).update_primary_region(KeyId=primary["KeyId"], PrimaryRegion=OTHER_REGION)
    old = kms(ADMIN).describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert old["MultiRegionKeyType"] == "REPLICA" and old["PrimaryKey"]["Region"] == OTHER_REGION
    assert error_of(kms(ADMIN).update_primary_region, KeyId=primary["KeyId"],
                    PrimaryRegion=OTHER_REGION)[0] == "UnsupportedOperationException"  # no longer the primary
    assert error_of(kms(ADMIN, region=OTHER_REGION).update_primary_region, KeyId=primary["KeyId"],
                    PrimaryRegion="ap-southeast-2")[0] == "NotFoundException"


def test_rotating_the_primary_rotates_the_replicas(kms, mrk):
    primary, _ = mrk
    owner, there = kms(ADMIN), kms(ADMIN, region=OTHER_REGION)
    owner.rotate_key_on_demand(KeyId=primary["KeyId"])
    assert owner.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == \
        there.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    blob = owner.encrypt(KeyId=primary["KeyId"], Plaintext=b"after rotation")["CiphertextBlob"]
    assert there.decrypt(CiphertextBlob=blob)["Plaintext"] == b"after rotation"
    owner.enable_key_rotation(KeyId=primary["KeyId"], RotationPeriodInDays=90)
    assert there.get_key_rotation_status(KeyId=primary["KeyId"])["RotationPeriodInDays"] == 90
    assert error_of(there.rotate_key_on_demand, KeyId=primary["KeyId"])[0] == "UnsupportedOperationException"


def test_a_primary_with_replicas_waits_for_them_before_its_own_deletion(kms, mrk):
    primary, _ = mrk
    owner, there = kms(ADMIN), kms(ADMIN, region=OTHER_REGION)
    scheduled = owner.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingReplicaDeletion" and "DeletionDate" not in scheduled
    assert owner.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["PendingDeletionWindowInDays"] == 7
    there.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=7)
    # Seven days later the replica is gone and the primary's own waiting period begins.
    from django.utils import timezone
    Key.objects.filter(region=OTHER_REGION, key_id=primary["KeyId"]).update(deletion_date=timezone.now())
    assert error_of(there.describe_key, KeyId=primary["KeyId"])[0] == "NotFoundException"
    after = owner.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]
    assert after["KeyState"] == "PendingDeletion" and after["DeletionDate"]
    owner.cancel_key_deletion(KeyId=primary["KeyId"])
    assert owner.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_multi_region_with_imported_material_is_refused_with_the_reason(kms):
    code, message = error_of(kms(OWNER_ROOT).create_key, MultiRegion=True, Origin="EXTERNAL")
    assert code == "UnsupportedOperationException" and "Origin AWS_KMS" in message
