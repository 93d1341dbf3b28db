"""IAM roles over the wire: boto3 against the live server, as the account's IAM administrator, a reader, a
principal with no IAM permission and another account; and STS reading the trust policy IAM just changed."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from accounts.models import IamPolicy, IamRole
from tests.conftest import OUTSIDER, TRUSTED
from tests.iam.conftest import (ALICE, ALICE_ARN, EVE, IAM_ADMIN, NOBODY, READER, allow, as_json, document, error_code,
                                refused)

ROLE_ARN = f"arn:aws:iam::{TRUSTED}:role/Deployer"


def trust(principal) -> dict:
    return document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


TRUST_ALICE = trust({"AWS": ALICE_ARN})


def test_admin_creates_a_role_and_reads_it(iam):
    client = iam(IAM_ADMIN)
    created = client.create_role(RoleName="Deployer", Path="/ci/", AssumeRolePolicyDocument=as_json(TRUST_ALICE),
                                 Description="Deploys the app", MaxSessionDuration=7200,
                                 Tags=[{"Key": "team", "Value": "payments"}])["Role"]
    assert created["Arn"] == f"arn:aws:iam::{TRUSTED}:role/ci/Deployer"
    assert created["RoleId"].startswith("AROA")
    assert created["AssumeRolePolicyDocument"] == TRUST_ALICE  # URL-encoded on the wire, a dict in boto3
    role = client.get_role(RoleName="Deployer")["Role"]
    assert role["RoleId"] == created["RoleId"]
    assert role["Description"] == "Deploys the app" and role["MaxSessionDuration"] == 7200
    assert role["Tags"] == [{"Key": "team", "Value": "payments"}]
    assert role["AssumeRolePolicyDocument"] == TRUST_ALICE
    assert role["RoleLastUsed"] == {}


def test_a_new_role_lasts_an_hour_by_default(iam):
    role = iam(IAM_ADMIN).create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE))["Role"]
    assert role["MaxSessionDuration"] == 3600 and role["Path"] == "/" and "Description" not in role


def test_role_names_are_unique_regardless_of_case(iam):
    client = iam(IAM_ADMIN)
    client.create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE))
    excinfo = refused(lambda: client.create_role(RoleName="DEPLOYER", AssumeRolePolicyDocument=as_json(TRUST_ALICE)),
                      "EntityAlreadyExists", "Role with name DEPLOYER already exists.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.mark.parametrize("principal, named", [
    ({"AWS": "not-an-arn"}, '"AWS":"not-an-arn"'),
    ({"AWS": ["123", ALICE_ARN]}, '"AWS":"123"'),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:user/Ghost"}, f'"AWS":"arn:aws:iam::{TRUSTED}:user/Ghost"'),
    ({"Service": "not a service"}, '"SERVICE":"not a service"'),
])
def test_trust_policy_with_an_invalid_principal_is_malformed(iam, principal, named):
    excinfo = refused(lambda: iam(IAM_ADMIN).create_role(RoleName="Deployer",
                                                         AssumeRolePolicyDocument=as_json(trust(principal))),
                      "MalformedPolicyDocument", f"Invalid principal in policy: {named}")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_trust_policy_may_name_accounts_services_and_principals_of_accounts_not_emulated(iam):
    client = iam(IAM_ADMIN)
    for index, principal in enumerate([{"AWS": TRUSTED}, {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
                                       {"Service": "ec2.amazonaws.com"},
                                       {"AWS": "arn:aws:iam::210987654321:role/Elsewhere"}]):
        client.create_role(RoleName=f"role-{index}", AssumeRolePolicyDocument=as_json(trust(principal)))
    assert IamRole.objects.filter(name__startswith="role-").count() == 4


@pytest.mark.parametrize("policy", [
    "{not json",
    as_json(document({"Effect": "Allow", "Action": "sts:AssumeRole"})),  # no principal
    as_json(document({"Effect": "Allow", "Principal": {"AWS": ALICE_ARN}, "Action": "sts:AssumeRole",
                      "Resource": "*"})),  # a trust policy names no resource
])
def test_malformed_trust_policy_is_refused(iam, policy):
    refused(lambda: iam(IAM_ADMIN).create_role(RoleName="Deployer", AssumeRolePolicyDocument=policy),
            "MalformedPolicyDocument")


def unvalidated(live_server, credentials):
    """An IAM client that sends what botocore would refuse itself, to see the server's own answer."""
    return boto3.client("iam", endpoint_url=live_server.url, region_name="us-east-1",
                        aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1],
                        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))


def test_max_session_duration_outside_one_to_twelve_hours_is_a_validation_error(iam, live_server):
    client = unvalidated(live_server, IAM_ADMIN)
    for duration, constraint in ((3599, "greater than or equal to 3600"), (43201, "less than or equal to 43200")):
        excinfo = refused(lambda: client.create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE),
                                                     MaxSessionDuration=duration), "ValidationError")
        assert f"Member must have value {constraint}" in excinfo.value.response["Error"]["Message"]


def test_permissions_boundaries_are_refused_rather_than_ignored(iam):
    refused(lambda: iam(IAM_ADMIN).create_role(
        RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE),
        PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess"), "InvalidInput")


def test_list_roles_by_path_prefix_without_tags_and_pages(iam):
    client = iam(IAM_ADMIN)
    for name, path in (("Builder", "/ci/"), ("Deployer", "/ci/deploy/"), ("Auditor", "/")):
        client.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=as_json(TRUST_ALICE),
                           Tags=[{"Key": "team", "Value": "ci"}])
    roles = client.list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == ["Auditor", "Builder", "Deployer", "ExampleRole"]
    assert all("Tags" not in r and "RoleLastUsed" not in r for r in roles)
    assert roles[0]["AssumeRolePolicyDocument"] == TRUST_ALICE
    assert [r["RoleName"] for r in client.list_roles(PathPrefix="/ci/")["Roles"]] == ["Builder", "Deployer"]
    first = client.list_roles(MaxItems=3)
    assert first["IsTruncated"] and len(first["Roles"]) == 3
    rest = client.list_roles(Marker=first["Marker"])
    assert [r["RoleName"] for r in rest["Roles"]] == ["ExampleRole"] and not rest["IsTruncated"]


def test_update_role_description_and_max_session_duration(iam, live_server):
    client = iam(IAM_ADMIN)
    client.create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE), Description="old")
    client.update_role(RoleName="Deployer", MaxSessionDuration=43200)
    role = client.get_role(RoleName="Deployer")["Role"]
    assert role["MaxSessionDuration"] == 43200 and role["Description"] == "old"
    client.update_role(RoleName="Deployer", Description="new")
    role = client.get_role(RoleName="Deployer")["Role"]
    assert role["Description"] == "new" and role["MaxSessionDuration"] == 43200
    refused(lambda: client.update_role(RoleName="Ghost", Description="x"), "NoSuchEntity",
            "The role with name Ghost cannot be found.")
    refused(lambda: unvalidated(live_server, IAM_ADMIN).update_role(RoleName="Deployer", MaxSessionDuration=60),
            "ValidationError")


def test_update_assume_role_policy_replaces_the_trust_policy(iam):
    client = iam(IAM_ADMIN)
    client.create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE))
    new_trust = trust({"AWS": f"arn:aws:iam::{TRUSTED}:root"})
    client.update_assume_role_policy(RoleName="Deployer", PolicyDocument=as_json(new_trust))
    assert client.get_role(RoleName="Deployer")["Role"]["AssumeRolePolicyDocument"] == new_trust
    refused(lambda: client.update_assume_role_policy(RoleName="Deployer", PolicyDocument=as_json(trust({"AWS": "x"}))),
            "MalformedPolicyDocument", 'Invalid principal in policy: "AWS":"x"')
    refused(lambda: client.update_assume_role_policy(RoleName="Ghost", PolicyDocument=as_json(new_trust)),
            "NoSuchEntity")


def test_delete_role_needs_its_policies_gone_first(iam):
    client = iam(IAM_ADMIN)
    client.create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE))
    client.put_role_policy(RoleName="Deployer", PolicyName="ReadIam",
                           PolicyDocument=as_json(document(allow("iam:Get*"))))
    refused(lambda: client.delete_role(RoleName="Deployer"), "DeleteConflict",
            "Cannot delete entity, must delete policies first.")
    client.delete_role_policy(RoleName="Deployer", PolicyName="ReadIam")
    policy = IamPolicy.create_with_document(account_id=TRUSTED, name="ReadIam",
                                            document=as_json(document(allow("iam:Get*"))))
    IamRole.objects.get(name="Deployer").managed_policies.add(policy)
    refused(lambda: client.delete_role(RoleName="Deployer"), "DeleteConflict",
            "Cannot delete entity, must detach all policies first.")
    IamRole.objects.get(name="Deployer").managed_policies.clear()
    client.delete_role(RoleName="Deployer")
    refused(lambda: client.get_role(RoleName="Deployer"), "NoSuchEntity",
            "The role with name Deployer cannot be found.")


def test_tag_untag_and_list_role_tags(iam):
    client = iam(IAM_ADMIN)
    client.create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE),
                       Tags=[{"Key": "team", "Value": "payments"}])
    client.tag_role(RoleName="Deployer", Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ci"}])
    assert client.list_role_tags(RoleName="Deployer")["Tags"] == [{"Key": "env", "Value": "prod"},
                                                                   {"Key": "team", "Value": "ci"}]
    client.untag_role(RoleName="Deployer", TagKeys=["team", "absent"])
    tags = client.list_role_tags(RoleName="Deployer")
    assert tags["Tags"] == [{"Key": "env", "Value": "prod"}] and tags["IsTruncated"] is False
    refused(lambda: client.tag_role(RoleName="Deployer", Tags=[{"Key": "aws:owner", "Value": "me"}]), "InvalidInput")
    refused(lambda: client.list_role_tags(RoleName="Ghost"), "NoSuchEntity")


def test_principal_without_iam_permission_is_denied_with_awss_message(iam):
    refused(lambda: iam(NOBODY).create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE)),
            "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreateRole on resource: "
            f"{ROLE_ARN} because no identity-based policy allows the iam:CreateRole action")


def test_reader_reads_roles_but_cannot_change_them(iam):
    reader = iam(READER)
    assert reader.get_role(RoleName="ExampleRole")["Role"]["RoleName"] == "ExampleRole"
    assert [r["RoleName"] for r in reader.list_roles()["Roles"]] == ["ExampleRole"]
    refused(lambda: reader.update_assume_role_policy(RoleName="ExampleRole", PolicyDocument=as_json(TRUST_ALICE)),
            "AccessDenied")
    refused(lambda: reader.delete_role(RoleName="ExampleRole"), "AccessDenied")
    refused(lambda: reader.tag_role(RoleName="ExampleRole", Tags=[{"Key": "k", "Value": "v"}]), "AccessDenied")


def test_another_account_sees_only_its_own_roles(iam):
    eve = iam(EVE)
    assert eve.list_roles()["Roles"] == []
    refused(lambda: eve.get_role(RoleName="ExampleRole"), "NoSuchEntity")
    refused(lambda: eve.update_role(RoleName="ExampleRole", Description="mine now"), "NoSuchEntity")
    refused(lambda: eve.delete_role(RoleName="ExampleRole"), "NoSuchEntity")


def test_assume_role_is_denied_on_the_very_next_call_once_the_trust_policy_trusts_nobody(iam, aws):
    admin, sts = iam(IAM_ADMIN), aws("sts", ALICE)
    admin.create_role(RoleName="Deployer", AssumeRolePolicyDocument=as_json(TRUST_ALICE))
    session = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="deploy")
    assert session["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{TRUSTED}:assumed-role/Deployer/deploy"

    # A service principal: no IAM user or role is trusted any more.
    admin.update_assume_role_policy(RoleName="Deployer",
                                    PolicyDocument=as_json(trust({"Service": "ec2.amazonaws.com"})))
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="deploy")
    assert error_code(excinfo) == "AccessDenied"
    assert excinfo.value.response["Error"]["Message"].startswith(
        f"User: {ALICE_ARN} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN}")
