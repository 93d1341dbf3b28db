"""The AWS guide's second half, done by the external account itself: "the external account's administrators
must attach IAM policies to its users or roles". Key owner 111122223333 has shared its key with 444455556666
(tests/iam/conftest.py); here 444455556666's IAM administrator writes the IAM policy, attaches it, and the
account's principals use the key by ARN. Then the policy is taken away and the very next call is denied.

Two ways: boto3 and the real AWS CLI (the browser way is in test_console_guide.py).
"""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.awscli import cli_environment, run_aws
from tests.conftest import REGION, TRUSTED
from tests.iam.conftest import ALICE, EXAMPLE_ROLE_ARN, IAM_ADMIN, KEY_ARN, error_code, key_use_policy

PLAINTEXT = b"Hello, KMS"


def _kms(live_server, credentials, session_token=None):
    return boto3.client("kms", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=credentials[0],
                        aws_secret_access_key=credentials[1], aws_session_token=session_token,
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def _assume_example_role(live_server):
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=ALICE[0],
                       aws_secret_access_key=ALICE[1])
    credentials = sts.assume_role(RoleArn=EXAMPLE_ROLE_ARN, RoleSessionName="guide")["Credentials"]
    return _kms(live_server, (credentials["AccessKeyId"], credentials["SecretAccessKey"]),
                credentials["SessionToken"])


def test_boto3_policy_on_role_lets_the_role_use_the_key_until_detached(iam, live_server):
    admin = iam(IAM_ADMIN)
    role_kms = _assume_example_role(live_server)
    with pytest.raises(ClientError) as before:
        role_kms.encrypt(KeyId=KEY_ARN, Plaintext=PLAINTEXT)
    assert error_code(before) == "AccessDeniedException"  # the key policy alone is not enough

    policy_arn = admin.create_policy(PolicyName="AllowUseOfKeyInAccount111122223333",
                                     PolicyDocument=json.dumps(key_use_policy()))["Policy"]["Arn"]
    admin.attach_role_policy(RoleName="ExampleRole", PolicyArn=policy_arn)
    ciphertext = role_kms.encrypt(KeyId=KEY_ARN, Plaintext=PLAINTEXT)["CiphertextBlob"]
    assert role_kms.decrypt(CiphertextBlob=ciphertext, KeyId=KEY_ARN)["Plaintext"] == PLAINTEXT

    admin.detach_role_policy(RoleName="ExampleRole", PolicyArn=policy_arn)
    with pytest.raises(ClientError) as after:
        role_kms.encrypt(KeyId=KEY_ARN, Plaintext=PLAINTEXT)
    assert error_code(after) == "AccessDeniedException"


def test_boto3_new_role_made_by_the_administrator_can_use_the_key(iam, live_server):
    admin = iam(IAM_ADMIN)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": f"arn:aws:iam::{TRUSTED}:user/Alice"}, "Action": "sts:AssumeRole"}]}
    role = admin.create_role(RoleName="KeyUserRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    policy_arn = admin.create_policy(PolicyName="UseSharedKey",
                                     PolicyDocument=json.dumps(key_use_policy()))["Policy"]["Arn"]
    admin.attach_role_policy(RoleName="KeyUserRole", PolicyArn=policy_arn)
    admin.put_user_policy(UserName="Alice", PolicyName="AssumeKeyUserRole", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name=REGION, aws_access_key_id=ALICE[0],
                       aws_secret_access_key=ALICE[1])
    credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="new-role")["Credentials"]
    kms = _kms(live_server, (credentials["AccessKeyId"], credentials["SecretAccessKey"]), credentials["SessionToken"])
    assert kms.encrypt(KeyId=KEY_ARN, Plaintext=PLAINTEXT)["KeyId"] == KEY_ARN


# ----------------------------------------------------------------------------------------------------------
# The AWS CLI
# ----------------------------------------------------------------------------------------------------------


def _aws(live_server, tmp_path, credentials, *args, session_token=None) -> dict:
    # As a user following the README has it: the key's region, also for IAM (a global service).
    done = run_aws(cli_environment(live_server.url, tmp_path, credentials, session_token=session_token), *args)
    return {"code": done.returncode, "out": json.loads(done.stdout) if done.stdout.strip() else None,
            "err": done.stderr}


def test_aws_cli_create_attach_use_detach(iam, live_server, tmp_path):
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(key_use_policy()))
    created = _aws(live_server, tmp_path, IAM_ADMIN, "iam", "create-policy", "--policy-name",
                   "AllowUseOfKeyInAccount111122223333", "--policy-document", f"file://{policy_file}")
    assert created["code"] == 0, created["err"]
    policy_arn = created["out"]["Policy"]["Arn"]
    assert policy_arn == f"arn:aws:iam::{TRUSTED}:policy/AllowUseOfKeyInAccount111122223333"
    attached = _aws(live_server, tmp_path, IAM_ADMIN, "iam", "attach-role-policy", "--role-name", "ExampleRole",
                    "--policy-arn", policy_arn)
    assert attached["code"] == 0, attached["err"]

    assumed = _aws(live_server, tmp_path, ALICE, "sts", "assume-role", "--role-arn", EXAMPLE_ROLE_ARN,
                   "--role-session-name", "cli")
    assert assumed["code"] == 0, assumed["err"]
    session = assumed["out"]["Credentials"]
    role_credentials = (session["AccessKeyId"], session["SecretAccessKey"])
    plaintext = tmp_path / "plain.txt"
    plaintext.write_bytes(PLAINTEXT)
    encrypt = ("kms", "encrypt", "--key-id", KEY_ARN, "--plaintext", f"fileb://{plaintext}")
    used = _aws(live_server, tmp_path, role_credentials, *encrypt, session_token=session["SessionToken"])
    assert used["code"] == 0, used["err"]
    assert used["out"]["KeyId"] == KEY_ARN

    detached = _aws(live_server, tmp_path, IAM_ADMIN, "iam", "detach-role-policy", "--role-name", "ExampleRole",
                    "--policy-arn", policy_arn)
    assert detached["code"] == 0, detached["err"]
    denied = _aws(live_server, tmp_path, role_credentials, *encrypt, session_token=session["SessionToken"])
    assert denied["code"] != 0 and "AccessDeniedException" in denied["err"]


def test_aws_cli_put_user_policy_lets_a_user_use_the_key_directly(iam, live_server, tmp_path):
    policy_file = tmp_path / "inline.json"
    policy_file.write_text(json.dumps(key_use_policy()))
    put = _aws(live_server, tmp_path, IAM_ADMIN, "iam", "put-user-policy", "--user-name", "Alice", "--policy-name",
               "UseSharedKey", "--policy-document", f"file://{policy_file}")
    assert put["code"] == 0, put["err"]
    got = _aws(live_server, tmp_path, IAM_ADMIN, "iam", "get-user-policy", "--user-name", "Alice", "--policy-name",
               "UseSharedKey")
    assert got["code"] == 0 and got["out"]["PolicyDocument"] == key_use_policy(), got["err"]
    described = _aws(live_server, tmp_path, ALICE, "kms", "describe-key", "--key-id", KEY_ARN)
    assert described["code"] == 0, described["err"]

    removed = _aws(live_server, tmp_path, IAM_ADMIN, "iam", "delete-user-policy", "--user-name", "Alice",
                   "--policy-name", "UseSharedKey")
    assert removed["code"] == 0, removed["err"]
    denied = _aws(live_server, tmp_path, ALICE, "kms", "describe-key", "--key-id", KEY_ARN)
    assert denied["code"] != 0 and "AccessDeniedException" in denied["err"]
