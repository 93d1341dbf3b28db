"""The small world the IAM tests run in (loaded through the real load_scenario command).

trusted  444455556666  root (access key); IamAdmin (iam:*); Reader (iam:Get*, iam:List*); Nobody (no policies);
                       ExampleRole trusting Alice; Alice (may assume ExampleRole)
owner    111122223333  root (access key); key KEY_ID shared with 444455556666 by its key policy (the console's
                       two statements)
outsider 777788889999  root (access key); Eve (iam:* in her own account)

`iam(credentials)` is a boto3 IAM client on the live server, signed for us-east-1 as IAM requires on AWS.
"""

import json

import boto3
import pytest
from botocore.config import Config

from tests.conftest import OUTSIDER, OWNER, REGION, TRUSTED

TRUSTED_ROOT = ("AKIATRUSTEDROOT00001", "test/trusted/root/secret/not-secret/0001")
IAM_ADMIN = ("AKIATRUSTEDIAMADMIN1", "test/trusted/iamadmin/secret/not-secret/01")
READER = ("AKIATRUSTEDREADER001", "test/trusted/reader/secret/not-secret/0001")
NOBODY = ("AKIATRUSTEDNOBODY001", "test/trusted/nobody/secret/not-secret/0001")
ALICE = ("AKIATRUSTEDALICE0001", "test/trusted/alice/secret/not-secret/00001")
OWNER_ROOT = ("AKIAOWNERROOT0000001", "test/owner/root/secret/not-secret/000001")
OUTSIDER_ROOT = ("AKIAOUTSIDERROOT0001", "test/outsider/root/secret/not-secret/001")
EVE = ("AKIAOUTSIDEREVE00001", "test/outsider/eve/secret/not-secret/000001")

KEY_ID = "0b1c2d3e-4f50-4617-8899-aabbccddeeff"
KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/{KEY_ID}"
EXAMPLE_ROLE_ARN = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"
ALICE_ARN = f"arn:aws:iam::{TRUSTED}:user/Alice"

# The statement the AWS guide shows for the external account's IAM policy.
KEY_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def document(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", sid=None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if sid:
        statement["Sid"] = sid
    return statement


def key_use_policy(key_arn=KEY_ARN) -> dict:
    return document(allow(KEY_USE_ACTIONS, key_arn, sid="AllowUseOfTheKey"))


def _keys(pair):
    return [{"access_key_id": pair[0], "secret_access_key": pair[1]}]


def _trust(principal) -> dict:
    return document({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})


def _key_policy() -> dict:
    return document(
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
         "Action": KEY_USE_ACTIONS, "Resource": "*"},
        {"Sid": "Allow attachment of persistent resources", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
         "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    )


WORLD = {
    "version": 1,
    "accounts": [
        {
            "id": TRUSTED,
            "alias": "key-user",
            "root_access_keys": _keys(TRUSTED_ROOT),
            "users": [
                {"name": "IamAdmin", "access_keys": _keys(IAM_ADMIN),
                 "inline_policies": {"IamAdministration": document(allow("iam:*"))}},
                {"name": "Reader", "access_keys": _keys(READER),
                 "inline_policies": {"ReadIam": document(allow(["iam:Get*", "iam:List*"]))}},
                {"name": "Nobody", "access_keys": _keys(NOBODY)},
                {"name": "Alice", "access_keys": _keys(ALICE),
                 "inline_policies": {"AssumeExampleRole": document(allow("sts:AssumeRole", EXAMPLE_ROLE_ARN))}},
            ],
            "roles": [{"name": "ExampleRole", "trust_policy": _trust(ALICE_ARN)}],
        },
        {
            "id": OWNER,
            "alias": "key-owner",
            "root_access_keys": _keys(OWNER_ROOT),
            "keys": [{"id": KEY_ID, "region": REGION, "policy": _key_policy()}],
        },
        {
            "id": OUTSIDER,
            "root_access_keys": _keys(OUTSIDER_ROOT),
            "users": [{"name": "Eve", "access_keys": _keys(EVE),
                       "inline_policies": {"EveIam": document(allow("iam:*"))}}],
        },
    ],
}


@pytest.fixture
def world(transactional_db, load_scenario):
    load_scenario(WORLD)
    return WORLD


@pytest.fixture
def iam(live_server, world):
    """iam(credentials, region="us-east-1") -> a boto3 IAM client on the live server."""

    def client(credentials, region="us-east-1", session_token=None):
        return boto3.client(
            "iam",
            endpoint_url=live_server.url,
            region_name=region,
            aws_access_key_id=credentials[0],
            aws_secret_access_key=credentials[1],
            aws_session_token=session_token,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    return client


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def as_json(value) -> str:
    return json.dumps(value)


def iam_state() -> dict:
    """Every IAM row of every account (entities, memberships, attachments, inline and managed policies, access
    keys, account aliases), to assert that a refused request changed nothing."""
    from accounts.models import AccessKey, Account, IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyVersion

    models = [IamUser, IamGroup, IamRole, InlinePolicy, IamPolicy, PolicyVersion, IamUser.groups.through,
              IamUser.managed_policies.through, IamGroup.managed_policies.through, IamRole.managed_policies.through]
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
    state["AccessKey"] = sorted(AccessKey.objects.values_list("access_key_id", "account_id", "user_id", "status"))
    state["Account"] = sorted(Account.objects.values_list("id", "alias"))
    return state


def refused(call, code: str, message: str | None = None):
    """Run a request that must be refused: its error code (and message, when given), and not a row changed."""
    from botocore.exceptions import ClientError

    before = iam_state()
    with pytest.raises(ClientError) as excinfo:
        call()
    assert error_code(excinfo) == code, excinfo.value.response["Error"]
    if message is not None:
        assert excinfo.value.response["Error"]["Message"] == message
    assert iam_state() == before
    return excinfo
