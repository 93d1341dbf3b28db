"""The built-in demo is the AWS example: a key in 111122223333 shared with 444455556666, and an outsider."""

import io
import json

import pytest
from django.core.management import call_command

from accounts.models import Account, IamRole
from keys.models import Key
from keys.store import console_key_policy
from tests.scenarios.conftest import DEMO

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
EXAMPLE_ROLE_ARN = "arn:aws:iam::444455556666:role/ExampleRole"
IAM_ADMIN = ("AKIADEMOIAMADMIN0001", "demo/IamAdmin/secret/not-secret/0000001")


def test_demo_loads_the_three_accounts(demo):
    assert {a.id: a.alias for a in Account.objects.all()} == {
        "111122223333": "key-owner",
        "444455556666": "key-user",
        "777788889999": "outsider",
    }


def test_demo_key_is_the_example_key_in_us_west_2(demo):
    key = Key.objects.get(key_id=KEY_ID)
    assert key.arn == f"arn:aws:kms:us-west-2:111122223333:key/{KEY_ID}"
    assert key.state == "Enabled"
    assert [alias.name for alias in key.aliases.all()] == ["alias/ExampleKey"]
    assert key.materials.count() == 1 and key.policy_versions.count() == 1


def test_demo_key_policy_is_what_the_console_writes_when_sharing_with_444455556666(demo):
    key = Key.objects.get(key_id=KEY_ID)
    expected = console_key_policy(
        "111122223333", admins=["arn:aws:iam::111122223333:user/KeyAdmin"], users=[], external_accounts=["444455556666"]
    )
    assert key.policy == expected  # stored in KMS's own layout, as GetKeyPolicy returns it
    statements = {s["Sid"]: s for s in json.loads(key.policy)["Statement"]}
    assert statements["Allow use of the key"]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert statements["Allow attachment of persistent resources"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}
    }


def test_example_role_carries_the_example_iam_policy_and_trusts_its_account(demo):
    role = IamRole.objects.get(account_id="444455556666", name="ExampleRole")
    policy = role.managed_policies.get()
    assert policy.name == "AllowUseOfKeyInAccount111122223333"
    assert json.loads(policy.document)["Statement"][0]["Resource"] == f"arn:aws:kms:us-west-2:111122223333:key/{KEY_ID}"
    assert json.loads(role.trust_policy)["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}


def test_alice_may_assume_example_role(demo):
    alice = Account.objects.get(id="444455556666").users.get(name="Alice")
    statement = json.loads(alice.inline_policies.get().document)["Statement"][0]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Resource"] == "arn:aws:iam::444455556666:role/ExampleRole"
    assert alice.access_keys.get().access_key_id == "AKIADEMOALICE0000001"


def test_key_user_has_an_iam_administrator_who_may_switch_into_example_role(demo):
    iam_admin = Account.objects.get(id="444455556666").users.get(name="IamAdmin")
    assert iam_admin.check_console_password("demo-IamAdmin-password-not-secret")
    assert iam_admin.login_profile_created_at is not None
    assert iam_admin.access_keys.get().secret_access_key == IAM_ADMIN[1]
    statements = {s["Sid"]: s for s in json.loads(iam_admin.inline_policies.get().document)["Statement"]}
    assert statements["ManageIamOfThisAccount"]["Action"] == ["iam:*", "cloudtrail:LookupEvents"]
    assert statements["SwitchToExampleRole"] == {
        "Sid": "SwitchToExampleRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": EXAMPLE_ROLE_ARN}


@pytest.fixture
def live_demo(transactional_db, live_server):
    call_command("load_scenario", str(DEMO))


def test_iam_administrator_administers_iam_and_assumes_example_role_through_the_account_trust(live_demo, aws):
    # ExampleRole trusts its account's root, which leaves the choice to IAM: IamAdmin's own policy allows it.
    credentials = aws("sts", IAM_ADMIN).assume_role(RoleArn=EXAMPLE_ROLE_ARN, RoleSessionName="iam-admin")["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    users = aws("iam", IAM_ADMIN, region="us-east-1").list_users()["Users"]
    assert {user["UserName"] for user in users} == {"Alice", "IamAdmin"}


def test_outsider_has_a_user_with_an_access_key(demo):
    eve = Account.objects.get(id="777788889999").users.get()
    assert eve.access_keys.count() == 1


def test_demo_instructions_tell_how_to_sign_in_and_point_the_cli(db):
    out = io.StringIO()
    call_command("demo_instructions", "--host", "127.0.0.1", "--port", "8000", stdout=out)
    text = out.getvalue()
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:8000" in text
    assert "AWS_DEFAULT_REGION=us-west-2" in text
    assert "AWS_ACCESS_KEY_ID=AKIADEMOALICE0000001 AWS_SECRET_ACCESS_KEY=demo/Alice/secret/not-secret/000000001" in text
    assert f"aws kms encrypt --key-id arn:aws:kms:us-west-2:111122223333:key/{KEY_ID}" in text
    assert "aws sts assume-role --role-arn arn:aws:iam::444455556666:role/ExampleRole" in text
    assert "key-owner (111122223333)" in text and "KeyAdmin" in text and "demo-KeyAdmin-password-not-secret" in text
    assert "key-owner@example.com" in text
    assert "account key-user (444455556666)      user IamAdmin   password demo-IamAdmin-password-not-secret" in text
    assert f"AWS_ACCESS_KEY_ID={IAM_ADMIN[0]} AWS_SECRET_ACCESS_KEY={IAM_ADMIN[1]}" in text
    assert "aws iam create-policy --policy-name UseSharedKey --policy-document '{" in text
    assert "aws iam attach-role-policy --role-name ExampleRole --policy-arn arn:aws:iam::444455556666:policy/UseSharedKey" in text


def test_demo_instructions_use_the_port_given(db):
    out = io.StringIO()
    call_command("demo_instructions", "--host", "0.0.0.0", "--port", "9001", stdout=out)
    assert "AWS_ENDPOINT_URL=http://0.0.0.0:9001" in out.getvalue()


def test_demo_file_says_its_secrets_are_demo_data():
    assert "DEMO DATA ONLY" in DEMO.read_text().split("version: 1")[0]
