"""keys.store: the standard key policies, and keys created with their first material and policy version."""

import json
import threading

import pytest
from django.db import connection, connections

from accounts.models import Account
from keys import store
from keys.models import Key, KeyPolicyVersion

ADMIN = "arn:aws:iam::111122223333:user/KeyAdmin"


def sids(policy_text: str) -> list[str]:
    return [s["Sid"] for s in json.loads(policy_text)["Statement"]]


def test_default_key_policy_is_laid_out_as_kms_returns_it():
    assert store.default_key_policy("111122223333") == (
        "{\n"
        '  "Version" : "2012-10-17",\n'
        '  "Id" : "key-default-1",\n'
        '  "Statement" : [ {\n'
        '    "Sid" : "Enable IAM User Permissions",\n'
        '    "Effect" : "Allow",\n'
        '    "Principal" : {\n'
        '      "AWS" : "arn:aws:iam::111122223333:root"\n'
        "    },\n"
        '    "Action" : "kms:*",\n'
        '    "Resource" : "*"\n'
        "  } ]\n"
        "}"
    )


def test_console_policy_for_a_symmetric_key_has_the_four_statements():
    policy = json.loads(store.console_key_policy("111122223333", [ADMIN], [], ["444455556666"]))
    assert policy["Id"] == "key-consolepolicy-3"
    assert [s["Sid"] for s in policy["Statement"]] == [
        "Enable IAM User Permissions",
        "Allow access for Key Administrators",
        "Allow use of the key",
        "Allow attachment of persistent resources",
    ]
    assert policy["Statement"][2]["Action"] == ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def test_external_accounts_join_users_in_both_key_user_statements():
    role = "arn:aws:iam::111122223333:role/ExampleRole"
    policy = json.loads(store.console_key_policy("111122223333", [], [role], ["444455556666", "777788889999"]))
    for statement in policy["Statement"][1:]:
        assert statement["Principal"]["AWS"] == [role, "arn:aws:iam::444455556666:root", "arn:aws:iam::777788889999:root"]
    assert sids(json.dumps(policy)) == ["Enable IAM User Permissions", "Allow use of the key", "Allow attachment of persistent resources"]


def test_hmac_and_asymmetric_keys_get_no_persistent_resources_statement():
    hmac = json.loads(store.console_key_policy("111122223333", [ADMIN], [], ["444455556666"], "HMAC_256", "GENERATE_VERIFY_MAC"))
    assert "Allow attachment of persistent resources" not in sids(json.dumps(hmac))
    assert hmac["Statement"][2]["Action"] == ["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"]
    signing = json.loads(store.console_key_policy("111122223333", [], [ADMIN], [], "ECC_NIST_P256", "SIGN_VERIFY"))
    assert signing["Statement"][1]["Action"] == ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"]
    assert len(signing["Statement"]) == 2


def test_admins_without_deletion_lose_schedule_and_cancel_deletion():
    policy = json.loads(store.console_key_policy("111122223333", [ADMIN], [], [], allow_admin_deletion=False))
    actions = policy["Statement"][1]["Action"]
    assert "kms:ScheduleKeyDeletion" not in actions and "kms:CancelKeyDeletion" not in actions
    assert "kms:Delete*" in actions


def new_key(**overrides):
    account = Account.objects.create(id="111122223333")
    arguments = dict(
        account=account,
        region="us-west-2",
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        description="test",
        policy_text=store.default_key_policy("111122223333"),
        changed_by="arn:aws:iam::111122223333:root",
    )
    return store.create_key(**{**arguments, **overrides})


def test_create_key_makes_material_version_1_and_policy_version_1(db):
    key = new_key(key_id="1234abcd-12ab-34cd-56ef-1234567890ab", enabled=False)
    assert key.arn == "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert key.state == "Disabled"
    material = key.current_material
    assert material.version == 1 and len(material.material) == 32
    version = key.policy_versions.get()
    assert (version.version, version.document, version.changed_by) == (1, key.policy, "arn:aws:iam::111122223333:root")


def test_asymmetric_key_material_is_a_private_key(db):
    key = new_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY")
    assert key.current_material.material.startswith(b"0")  # DER SEQUENCE


def test_set_key_policy_keeps_every_version(db):
    key = new_key()
    store.set_key_policy(key, '{"Version": "2012-10-17", "Statement": []}', "arn:aws:iam::111122223333:user/KeyAdmin")
    store.set_key_policy(key, store.default_key_policy("111122223333"), "arn:aws:iam::111122223333:root")
    key.refresh_from_db()
    assert list(KeyPolicyVersion.objects.filter(key=key).order_by("version").values_list("version", "changed_by")) == [
        (1, "arn:aws:iam::111122223333:root"),
        (2, "arn:aws:iam::111122223333:user/KeyAdmin"),
        (3, "arn:aws:iam::111122223333:root"),
    ]
    assert key.policy == store.default_key_policy("111122223333")


def test_rotation_adds_material_and_keeps_the_old(db):
    key = new_key()
    first = key.current_material
    rotated = store.add_material_version(key, "ON_DEMAND")
    assert rotated.version == 2 and rotated.rotation_type == "ON_DEMAND"
    assert key.current_material.pk == rotated.pk
    assert key.materials.get(version=1).material == first.material != rotated.material


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises writers anyway")
def test_concurrent_policy_changes_never_lose_a_version():
    key = new_key()
    errors = []

    def put_policy(n: int):
        try:
            store.set_key_policy(Key.objects.get(pk=key.pk), f'{{"n": {n}}}', f"writer-{n}")
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=put_policy, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(KeyPolicyVersion.objects.filter(key=key).values_list("version", flat=True)) == list(range(1, 10))
