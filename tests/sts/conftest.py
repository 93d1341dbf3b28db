"""A small world for STS: who may become which role, and under what conditions.

trusted  444455556666  Alice (may assume roles), Bob (no IAM policy), roles trusting Alice or the account
owner    111122223333  CrossAccountRole trusting account 444455556666; root with an access key
outsider 777788889999  Mallory, allowed sts:AssumeRole on everything by her own IAM policy, trusted by nobody
"""

import pytest

from tests.conftest import OUTSIDER, OWNER, TRUSTED

ALICE_KEY = ("AKIAALICE00000000001", "alice-secret-0000000000000000000000000")
BOB_KEY = ("AKIABOB0000000000001", "bob-secret-00000000000000000000000000000")
MALLORY_KEY = ("AKIAMALLORY000000001", "mallory-secret-000000000000000000000000")
OWNER_ROOT_KEY = ("AKIAOWNERROOT0000001", "owner-root-secret-00000000000000000000")

ALICE_ARN = f"arn:aws:iam::{TRUSTED}:user/Alice"
EXTERNAL_ID = "Unicorn-42"


def role_arn(account, name):
    return f"arn:aws:iam::{account}:role/{name}"


def _allow(action, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def _trust(principal, condition=None, effect="Allow"):
    statement = {"Effect": effect, "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def sts_scenario():
    return {
        "version": 1,
        "accounts": [
            {
                "id": TRUSTED,
                "alias": "trusted-co",
                "users": [
                    {
                        "name": "Alice",
                        "access_keys": [dict(zip(("access_key_id", "secret_access_key"), ALICE_KEY))],
                        "inline_policies": {
                            "AssumeListedRoles": _allow("sts:AssumeRole", [
                                role_arn(TRUSTED, "AccountTrustRole"),
                                role_arn(OWNER, "CrossAccountRole"),
                            ]),
                        },
                    },
                    {"name": "Bob", "access_keys": [dict(zip(("access_key_id", "secret_access_key"), BOB_KEY))]},
                ],
                "roles": [
                    {"name": "ExampleRole", "trust_policy": _trust(ALICE_ARN),
                     "inline_policies": {"ChainOnwards": _allow("sts:AssumeRole")}},
                    {"name": "ChainTargetRole", "trust_policy": _trust(TRUSTED)},
                    {"name": "AccountTrustRole", "trust_policy": _trust(TRUSTED)},
                    {"name": "ExternalIdRole",
                     "trust_policy": _trust(ALICE_ARN, {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}})},
                    {"name": "LongSessionRole", "max_session_duration": 7200, "trust_policy": _trust(ALICE_ARN)},
                    {"name": "DenyAliceRole", "trust_policy": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": TRUSTED}, "Action": "sts:AssumeRole"},
                        {"Effect": "Deny", "Principal": {"AWS": ALICE_ARN}, "Action": "sts:AssumeRole"},
                    ]}},
                ],
            },
            {
                "id": OWNER,
                "alias": "key-owner",
                "root_access_keys": [dict(zip(("access_key_id", "secret_access_key"), OWNER_ROOT_KEY))],
                "roles": [{"name": "CrossAccountRole", "trust_policy": _trust(TRUSTED)}],
            },
            {
                "id": OUTSIDER,
                "users": [{
                    "name": "Mallory",
                    "access_keys": [dict(zip(("access_key_id", "secret_access_key"), MALLORY_KEY))],
                    "inline_policies": {"AssumeAnything": _allow("sts:AssumeRole")},
                }],
            },
        ],
    }


@pytest.fixture
def sts_world(transactional_db, load_scenario):
    load_scenario(sts_scenario())


@pytest.fixture
def sts(aws, sts_world):
    """sts(credentials, session_token=None, region=...) -> a boto3 STS client on the live server."""

    def client(credentials, session_token=None, **kwargs):
        return aws("sts", credentials, session_token=session_token, **kwargs)

    return client


def credentials_of(response):
    creds = response["Credentials"]
    return (creds["AccessKeyId"], creds["SecretAccessKey"]), creds["SessionToken"]
