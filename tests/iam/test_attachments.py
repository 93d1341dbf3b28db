"""Attaching managed policies to users, groups and roles: Attach/Detach/ListAttached{User,Group,Role}Policies,
ListEntitiesForPolicy, the 10-policy quota, and the guide's second half end to end: a policy made with
CreatePolicy and attached to ExampleRole lets Alice's session use the shared key, until it is detached."""

import pytest
from botocore.exceptions import ClientError

from accounts.models import IamGroup, IamPolicy, IamRole
from tests.conftest import OUTSIDER, TRUSTED
from tests.iam.conftest import (ALICE, EVE, EXAMPLE_ROLE_ARN, IAM_ADMIN, KEY_ARN, NOBODY, READER, allow, as_json,
                                document, error_code, key_use_policy, refused)

POLICY_ARN = f"arn:aws:iam::{TRUSTED}:policy/UseExampleKey"
READ_ONLY_ARN = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


@pytest.fixture
def admin(iam):
    client = iam(IAM_ADMIN)
    client.create_policy(PolicyName="UseExampleKey", PolicyDocument=as_json(key_use_policy()))
    IamGroup.objects.create(account_id=TRUSTED, name="KeyUsers")
    return client


# The three entity kinds, spelled as their operations want them: (kind, name of an entity of the world).
KINDS = [("User", "Alice"), ("Group", "KeyUsers"), ("Role", "ExampleRole")]


def call(client, verb: str, kind: str, name: str, **kwargs):
    return getattr(client, f"{verb}_{kind.lower()}_policy" if verb != "list_attached" else
                   f"list_attached_{kind.lower()}_policies")(**{f"{kind}Name": name}, **kwargs)


@pytest.mark.parametrize("kind,name", KINDS)
def test_attach_list_and_detach(admin, kind, name):
    call(admin, "attach", kind, name, PolicyArn=POLICY_ARN)
    call(admin, "attach", kind, name, PolicyArn=READ_ONLY_ARN)
    call(admin, "attach", kind, name, PolicyArn=POLICY_ARN)  # again: nothing changes, no error
    attached = call(admin, "list_attached", kind, name)
    assert attached["AttachedPolicies"] == [
        {"PolicyName": "IAMReadOnlyAccess", "PolicyArn": READ_ONLY_ARN},
        {"PolicyName": "UseExampleKey", "PolicyArn": POLICY_ARN},
    ]
    assert attached["IsTruncated"] is False
    call(admin, "detach", kind, name, PolicyArn=POLICY_ARN)
    assert [p["PolicyName"] for p in call(admin, "list_attached", kind, name)["AttachedPolicies"]] == [
        "IAMReadOnlyAccess"]


@pytest.mark.parametrize("kind,name", KINDS)
def test_detaching_what_is_not_attached_is_refused(admin, kind, name):
    refused(lambda: call(admin, "detach", kind, name, PolicyArn=POLICY_ARN), "NoSuchEntity",
            f"Policy {POLICY_ARN} was not attached.")


@pytest.mark.parametrize("kind,name", KINDS)
def test_attaching_a_missing_or_foreign_policy_is_refused(admin, iam, kind, name):
    missing = f"arn:aws:iam::{TRUSTED}:policy/Missing"
    refused(lambda: call(admin, "attach", kind, name, PolicyArn=missing), "NoSuchEntity",
            f"Policy {missing} does not exist or is not attachable.")
    iam(EVE).create_policy(PolicyName="EvesPolicy", PolicyDocument=as_json(key_use_policy()))
    eves = f"arn:aws:iam::{OUTSIDER}:policy/EvesPolicy"
    refused(lambda: call(admin, "attach", kind, name, PolicyArn=eves), "NoSuchEntity",
            f"Policy {eves} does not exist or is not attachable.")
    refused(lambda: call(admin, "attach", kind, name, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy"), "NoSuchEntity")


def test_attaching_to_a_missing_entity_is_refused(admin):
    refused(lambda: admin.attach_role_policy(RoleName="NoSuchRole", PolicyArn=POLICY_ARN), "NoSuchEntity",
            "The role with name NoSuchRole cannot be found.")
    refused(lambda: admin.attach_user_policy(UserName="Nobody2", PolicyArn=POLICY_ARN), "NoSuchEntity",
            "The user with name Nobody2 cannot be found.")
    refused(lambda: admin.list_attached_group_policies(GroupName="NoGroup"), "NoSuchEntity",
            "The group with name NoGroup cannot be found.")


def test_another_account_cannot_reach_this_accounts_entities(admin, iam):
    refused(lambda: iam(EVE).attach_role_policy(RoleName="ExampleRole", PolicyArn=READ_ONLY_ARN), "NoSuchEntity")


def test_attaching_needs_permission_on_the_entity(admin, iam):
    refused(lambda: iam(NOBODY).attach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:AttachRolePolicy on "
            f"resource: {EXAMPLE_ROLE_ARN} because no identity-based policy allows the iam:AttachRolePolicy action")
    admin.attach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN)
    reader = iam(READER)
    assert len(reader.list_attached_role_policies(RoleName="ExampleRole")["AttachedPolicies"]) == 1
    refused(lambda: reader.detach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN), "AccessDenied")


@pytest.mark.parametrize("kind,name,quota", [("User", "Alice", "PoliciesPerUser"),
                                             ("Group", "KeyUsers", "PoliciesPerGroup"),
                                             ("Role", "ExampleRole", "PoliciesPerRole")])
def test_ten_managed_policies_at_most(admin, kind, name, quota):
    for index in range(9):
        arn = admin.create_policy(PolicyName=f"p{index}", PolicyDocument=as_json(key_use_policy()))["Policy"]["Arn"]
        call(admin, "attach", kind, name, PolicyArn=arn)
    call(admin, "attach", kind, name, PolicyArn=POLICY_ARN)
    excinfo = refused(lambda: call(admin, "attach", kind, name, PolicyArn=READ_ONLY_ARN), "LimitExceeded",
                      f"Cannot exceed quota for {quota}: 10")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    call(admin, "attach", kind, name, PolicyArn=POLICY_ARN)  # one already attached is still fine
    first = call(admin, "list_attached", kind, name, MaxItems=4)
    second = call(admin, "list_attached", kind, name, MaxItems=4, Marker=first["Marker"])
    third = call(admin, "list_attached", kind, name, MaxItems=4, Marker=second["Marker"])
    assert (first["IsTruncated"], second["IsTruncated"], third["IsTruncated"]) == (True, True, False)
    listed = [p["PolicyName"] for page in (first, second, third) for p in page["AttachedPolicies"]]
    assert sorted(listed) == sorted([f"p{index}" for index in range(9)] + ["UseExampleKey"])


def test_list_attached_path_prefix(admin):
    team = admin.create_policy(PolicyName="Team", Path="/team/", PolicyDocument=as_json(key_use_policy()))["Policy"]
    admin.attach_user_policy(UserName="Alice", PolicyArn=team["Arn"])
    admin.attach_user_policy(UserName="Alice", PolicyArn=POLICY_ARN)
    listed = admin.list_attached_user_policies(UserName="Alice", PathPrefix="/team/")["AttachedPolicies"]
    assert listed == [{"PolicyName": "Team", "PolicyArn": f"arn:aws:iam::{TRUSTED}:policy/team/Team"}]


# ---- ListEntitiesForPolicy ----------------------------------------------------------------------------------


def test_list_entities_for_policy(admin):
    IamRole.objects.create(account_id=TRUSTED, name="Deployer", path="/ci/", trust_policy=as_json(document()))
    for kind, name in KINDS + [("Role", "Deployer"), ("User", "Reader")]:
        call(admin, "attach", kind, name, PolicyArn=POLICY_ARN)
    everything = admin.list_entities_for_policy(PolicyArn=POLICY_ARN)
    assert [g["GroupName"] for g in everything["PolicyGroups"]] == ["KeyUsers"]
    assert [u["UserName"] for u in everything["PolicyUsers"]] == ["Alice", "Reader"]
    assert [r["RoleName"] for r in everything["PolicyRoles"]] == ["Deployer", "ExampleRole"]
    role = IamRole.objects.get(account_id=TRUSTED, name="ExampleRole")
    assert {"RoleName": "ExampleRole", "RoleId": role.unique_id} in everything["PolicyRoles"]
    roles = admin.list_entities_for_policy(PolicyArn=POLICY_ARN, EntityFilter="Role")
    assert (roles["PolicyUsers"], roles["PolicyGroups"], len(roles["PolicyRoles"])) == ([], [], 2)
    ci = admin.list_entities_for_policy(PolicyArn=POLICY_ARN, PathPrefix="/ci/")
    assert [r["RoleName"] for r in ci["PolicyRoles"]] == ["Deployer"] and ci["PolicyUsers"] == []
    none = admin.list_entities_for_policy(PolicyArn=POLICY_ARN, EntityFilter="AWSManagedPolicy")
    assert none["PolicyGroups"] == none["PolicyUsers"] == none["PolicyRoles"] == []


def test_list_entities_for_policy_paginates(admin):
    for kind, name in KINDS + [("User", "Reader"), ("User", "Nobody")]:
        call(admin, "attach", kind, name, PolicyArn=POLICY_ARN)
    pages, marker = [], None
    while True:
        page = admin.list_entities_for_policy(PolicyArn=POLICY_ARN, MaxItems=2, **({"Marker": marker} if marker else {}))
        pages.append(page)
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert len(pages) == 3
    seen = [entity for page in pages for key in ("PolicyGroups", "PolicyUsers", "PolicyRoles") for entity in page[key]]
    assert len(seen) == 5


def test_list_entities_for_a_missing_policy(admin):
    missing = f"arn:aws:iam::{TRUSTED}:policy/Missing"
    refused(lambda: admin.list_entities_for_policy(PolicyArn=missing), "NoSuchEntity")


# ---- The guide's second half, end to end ---------------------------------------------------------------------


def example_role_session(aws):
    credentials = aws("sts", ALICE).assume_role(RoleArn=EXAMPLE_ROLE_ARN, RoleSessionName="alice")["Credentials"]
    return aws("kms", (credentials["AccessKeyId"], credentials["SecretAccessKey"]),
               session_token=credentials["SessionToken"])


def assert_denied(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=KEY_ARN, Plaintext=b"Hello, KMS")
    assert error_code(excinfo) == "AccessDeniedException"


def test_attached_policy_lets_the_role_use_the_key_until_detached(admin, aws):
    kms = example_role_session(aws)
    assert_denied(kms)  # the key policy lets the account in; no IAM policy of the role does yet
    admin.attach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN)
    assert kms.encrypt(KeyId=KEY_ARN, Plaintext=b"Hello, KMS")["KeyId"] == KEY_ARN
    admin.detach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN)
    assert_denied(kms)  # the very next call of the same session


def test_a_new_default_version_without_encrypt_denies_the_next_call(admin, aws):
    admin.attach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN)
    kms = example_role_session(aws)
    kms.encrypt(KeyId=KEY_ARN, Plaintext=b"Hello, KMS")
    admin.create_policy_version(PolicyArn=POLICY_ARN, SetAsDefault=True,
                                PolicyDocument=as_json(document(allow(["kms:Decrypt", "kms:DescribeKey"], KEY_ARN))))
    assert_denied(kms)
    assert kms.describe_key(KeyId=KEY_ARN)["KeyMetadata"]["Arn"] == KEY_ARN
    admin.set_default_policy_version(PolicyArn=POLICY_ARN, VersionId="v1")
    kms.encrypt(KeyId=KEY_ARN, Plaintext=b"Hello, KMS")


def test_an_attached_aws_managed_policy_grants_what_it_says(admin, aws):
    """AWSKeyManagementServicePowerUser allows kms:Describe* but not kms:Encrypt."""
    admin.attach_role_policy(RoleName="ExampleRole", PolicyArn="arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser")
    kms = example_role_session(aws)
    assert kms.describe_key(KeyId=KEY_ARN)["KeyMetadata"]["KeyId"]
    assert_denied(kms)
    assert IamPolicy.objects.filter(account__isnull=True, roles__name="ExampleRole").count() == 1
