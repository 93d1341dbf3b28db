"""Group policies count for member users in every decision: a user of 444455556666 allowed only through a group's
inline policy uses the owner's key by ARN, and is denied on the very next call once out of the group."""

import pytest
from botocore.exceptions import ClientError

from accounts.authz import identity_policies
from accounts.models import IamUser
from accounts.principals import Principal
from awsapi.dispatch import Call
from keys.authz import authorize_key
from keys.models import Key
from tests.conftest import REGION, TRUSTED
from tests.iam.conftest import IAM_ADMIN, KEY_ARN, NOBODY, allow, as_json, document, key_use_policy, refused

DAVE_ARN = f"arn:aws:iam::{TRUSTED}:user/Dave"
GROUP_POLICY = "group/KeyUsers/inline/UseTheKey"


@pytest.fixture
def dave(iam, aws):
    """A new user of the trusted account with an access key and no policy of his own: (IAM admin client, kms
    client signed as Dave)."""
    admin = iam(IAM_ADMIN)
    admin.create_user(UserName="Dave")
    key = admin.create_access_key(UserName="Dave")["AccessKey"]
    return admin, aws("kms", (key["AccessKeyId"], key["SecretAccessKey"]), region=REGION)


def encrypt(kms):
    return kms.encrypt(KeyId=KEY_ARN, Plaintext=b"Hello, KMS")


def denied(kms) -> str:
    with pytest.raises(ClientError) as excinfo:
        encrypt(kms)
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"
    return excinfo.value.response["Error"]["Message"]


def key_use_group(admin):
    admin.create_group(GroupName="KeyUsers")
    admin.put_group_policy(GroupName="KeyUsers", PolicyName="UseTheKey", PolicyDocument=as_json(key_use_policy()))


def test_a_user_allowed_only_through_a_group_uses_the_key_until_removed_from_it(dave):
    admin, kms = dave
    assert denied(kms).endswith("because no identity-based policy allows the kms:Encrypt action")
    key_use_group(admin)
    admin.add_user_to_group(GroupName="KeyUsers", UserName="Dave")

    assert encrypt(kms)["KeyId"] == KEY_ARN

    admin.remove_user_from_group(GroupName="KeyUsers", UserName="Dave")
    assert denied(kms) == (f"User: {DAVE_ARN} is not authorized to perform: kms:Encrypt on resource: {KEY_ARN} "
                           "because no identity-based policy allows the kms:Encrypt action")


def test_the_decision_names_the_group_policy_it_came_from(dave):
    admin, kms = dave
    key_use_group(admin)
    admin.add_user_to_group(GroupName="KeyUsers", UserName="Dave")
    encrypt(kms)

    principal = Principal.for_user(IamUser.objects.select_related("account").get(account_id=TRUSTED, name="Dave"))
    assert [policy.name for policy in identity_policies(principal)] == [GROUP_POLICY]
    call = Call(principal=principal, region=REGION, service="kms", operation="Encrypt", params={})
    decision = authorize_key(call, Key.objects.get(arn=KEY_ARN), "kms:Encrypt")
    assert decision.allowed
    assert f"iam:{GROUP_POLICY}/AllowUseOfTheKey" in [reason.source for reason in decision.reasons]


def test_deleting_the_group_policy_denies_the_members_very_next_call(dave):
    admin, kms = dave
    key_use_group(admin)
    admin.add_user_to_group(GroupName="KeyUsers", UserName="Dave")
    encrypt(kms)
    admin.delete_group_policy(GroupName="KeyUsers", PolicyName="UseTheKey")
    denied(kms)


def test_a_group_that_is_not_the_users_does_not_count(dave):
    admin, kms = dave
    key_use_group(admin)
    admin.add_user_to_group(GroupName="KeyUsers", UserName="Nobody")
    denied(kms)


def test_group_policies_decide_iam_actions_too(dave, iam):
    admin = dave[0]
    nobody = iam(NOBODY)
    refused(nobody.list_roles, "AccessDenied")
    admin.create_group(GroupName="Readers")
    admin.put_group_policy(GroupName="Readers", PolicyName="ListRoles",
                           PolicyDocument=as_json(document(allow("iam:ListRoles"))))
    admin.add_user_to_group(GroupName="Readers", UserName="Nobody")
    assert [role["RoleName"] for role in nobody.list_roles()["Roles"]] == ["ExampleRole"]
    admin.update_group(GroupName="Readers", NewGroupName="RoleReaders")  # still the same group, still counts
    assert nobody.list_roles()["Roles"]
    admin.remove_user_from_group(GroupName="RoleReaders", UserName="Nobody")
    refused(nobody.list_roles, "AccessDenied")
