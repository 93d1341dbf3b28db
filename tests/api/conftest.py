"""The small world the KMS API tests run in (loaded through the real load_scenario command).

owner    111122223333  root; Admin (IAM kms:*); Nobody (no policies); KeyOnly (IAM kms:* on keys, not aliases);
                       Dormant (an inactive access key); key SHARED_KEY (alias/shared) whose policy gives
                       444455556666 kms:*
trusted  444455556666  root; Bob (IAM kms:*)
"""

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OWNER, REGION, TRUSTED

OWNER_ROOT = ("AKIAOWNERROOT0000001", "test/owner/root/secret/not-secret/000001")
ADMIN = ("AKIAOWNERADMIN000001", "test/owner/admin/secret/not-secret/00001")
NOBODY = ("AKIAOWNERNOBODY00001", "test/owner/nobody/secret/not-secret/0001")
KEY_ONLY = ("AKIAOWNERKEYONLY0001", "test/owner/keyonly/secret/not-secret/001")
DORMANT = ("AKIAOWNERDORMANT0001", "test/owner/dormant/secret/not-secret/001")
TRUSTED_ROOT = ("AKIATRUSTEDROOT00001", "test/trusted/root/secret/not-secret/0001")
BOB = ("AKIATRUSTEDBOB000001", "test/trusted/bob/secret/not-secret/000001")

SHARED_KEY_ID = "11111111-2222-4333-8444-555555555555"
SHARED_KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/{SHARED_KEY_ID}"


def _keys(pair, status=None):
    entry = {"access_key_id": pair[0], "secret_access_key": pair[1]}
    if status:
        entry["status"] = status
    return [entry]


def _allow(action, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


WORLD = {
    "version": 1,
    "accounts": [
        {
            "id": OWNER,
            "root_access_keys": _keys(OWNER_ROOT),
            "users": [
                {"name": "Admin", "access_keys": _keys(ADMIN), "inline_policies": {"AllKms": _allow("kms:*")}},
                {"name": "Nobody", "access_keys": _keys(NOBODY)},
                {"name": "KeyOnly", "access_keys": _keys(KEY_ONLY),
                 "inline_policies": {"KeysOnly": _allow("kms:*", f"arn:aws:kms:*:{OWNER}:key/*")}},
                {"name": "Dormant", "access_keys": _keys(DORMANT, status="Inactive"),
                 "inline_policies": {"AllKms": _allow("kms:*")}},
            ],
            "keys": [
                {
                    "id": SHARED_KEY_ID,
                    "region": REGION,
                    "description": "shared with 444455556666 for everything",
                    "aliases": ["alias/shared"],
                    "tags": {"Team": "payments"},
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"},
                            {"Sid": "Everything for the trusted account", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"}, "Action": "kms:*",
                             "Resource": "*"},
                        ],
                    },
                }
            ],
        },
        {
            "id": TRUSTED,
            "root_access_keys": _keys(TRUSTED_ROOT),
            "users": [{"name": "Bob", "access_keys": _keys(BOB), "inline_policies": {"AllKms": _allow("kms:*")}}],
        },
    ],
}


@pytest.fixture
def world(transactional_db, load_scenario):
    load_scenario(WORLD)
    return WORLD


@pytest.fixture
def kms(aws, world):
    """kms(credentials=OWNER_ROOT, region=us-west-2) -> a boto3 KMS client of that principal."""

    def client(credentials=OWNER_ROOT, region=REGION):
        return aws("kms", credentials, region=region)

    return client


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    """(code, message) of the ClientError a boto3 call raises."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    error = info.value.response["Error"]
    return error["Code"], error.get("Message", "")
