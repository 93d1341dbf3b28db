"""The account: its alias, and GetAccountAuthorizationDetails (the whole IAM picture of the account)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyVersion
from accounts.principals import Principal
from awsapi.dispatch import Call, execute
from tests.conftest import TRUSTED
from tests.iam.conftest import EVE, IAM_ADMIN, NOBODY, READER, allow, as_json, document
from tests.iam.conftest import refused

# ---- Account alias ---------------------------------------------------------------------------------


def test_create_list_and_delete_the_account_alias(iam):
    client = iam(IAM_ADMIN)
    assert client.list_account_aliases()["AccountAliases"] == ["key-user"]
    client.create_account_alias(AccountAlias="key-user-2")  # replaces the current one: an account has one
    answer = client.list_account_aliases()
    assert answer["AccountAliases"] == ["key-user-2"] and answer["IsTruncated"] is False
    client.delete_account_alias(AccountAlias="key-user-2")
    assert client.list_account_aliases()["AccountAliases"] == []
    assert Account.objects.get(pk=TRUSTED).alias is None


def test_an_alias_is_unique_across_accounts(iam):
    refused(lambda: iam(IAM_ADMIN).create_account_alias(AccountAlias="key-owner"), "EntityAlreadyExists",
            "The account alias key-owner already exists.")
    refused(lambda: iam(EVE).create_account_alias(AccountAlias="key-user"), "EntityAlreadyExists")


def test_deleting_an_alias_the_account_does_not_have_is_no_such_entity(iam):
    refused(lambda: iam(IAM_ADMIN).delete_account_alias(AccountAlias="key-owner"), "NoSuchEntity",
            "The account alias key-owner cannot be found.")
    # Another account cannot remove this account's alias either: it is not theirs.
    refused(lambda: iam(EVE).delete_account_alias(AccountAlias="key-user"), "NoSuchEntity")


def test_alias_format_is_checked(iam):
    client = iam(IAM_ADMIN)
    for bad in ("Key-User", "key--user", "-key-user", "key_user"):
        refused(lambda: client.create_account_alias(AccountAlias=bad), "ValidationError")


def test_alias_operations_need_permission(iam):
    refused(lambda: iam(NOBODY).create_account_alias(AccountAlias="mine"), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreateAccountAlias "
            "because no identity-based policy allows the iam:CreateAccountAlias action")
    refused(lambda: iam(READER).delete_account_alias(AccountAlias="key-user"), "AccessDenied")
    refused(iam(NOBODY).list_account_aliases, "AccessDenied")
    assert iam(READER).list_account_aliases()["AccountAliases"] == ["key-user"]


# ---- GetAccountAuthorizationDetails ----------------------------------------------------------------

READ_IAM = document(allow(["iam:Get*", "iam:List*"]))
READ_IAM_V2 = document(allow(["iam:Get*", "iam:List*", "iam:Simulate*"]))


def _furnish(account_id=TRUSTED, suffix=""):
    """A group with a member and policies, a customer managed policy with two versions attached to a user, a
    group and a role, and an AWS managed policy attached to the role (another AWS managed one attached nowhere)."""
    policy = IamPolicy.create_with_document(account_id=account_id, name=f"ReadIam{suffix}", description="read IAM",
                                            document=as_json(READ_IAM))
    v2 = PolicyVersion.objects.create(policy=policy, version_id="v2", document=as_json(READ_IAM_V2))
    policy.default_version = v2
    policy.save()
    group = IamGroup.objects.create(account_id=account_id, name=f"Auditors{suffix}")
    group.managed_policies.add(policy)
    InlinePolicy.objects.create(group=group, name="GroupInline", document=as_json(READ_IAM))
    user = IamUser.objects.create(account_id=account_id, name=f"Carol{suffix}", tags={"team": "risk"})
    user.groups.add(group)
    user.managed_policies.add(policy)
    InlinePolicy.objects.create(user=user, name="UserInline", document=as_json(READ_IAM))
    role = IamRole.objects.get_or_create(account_id=account_id, name=f"Auditor{suffix}", defaults={
        "trust_policy": as_json(document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                                          "Action": "sts:AssumeRole"}))})[0]
    role.managed_policies.add(policy)
    InlinePolicy.objects.create(role=role, name="RoleInline", document=as_json(READ_IAM))
    return policy, role


def _aws_managed():
    """An AWS managed policy of the catalogue (the catalogue's other policies stay attached nowhere here)."""
    return IamPolicy.objects.get(account=None, name="IAMReadOnlyAccess")


def test_authorization_details_describe_every_entity_and_relationship(iam):
    policy, role = _furnish()
    role.managed_policies.add(_aws_managed())
    details = iam(IAM_ADMIN).get_account_authorization_details()

    carol = next(user for user in details["UserDetailList"] if user["UserName"] == "Carol")
    assert carol["Arn"] == f"arn:aws:iam::{TRUSTED}:user/Carol"
    assert carol["UserPolicyList"] == [{"PolicyName": "UserInline", "PolicyDocument": READ_IAM}]
    assert carol["GroupList"] == ["Auditors"]
    assert carol["AttachedManagedPolicies"] == [{"PolicyName": "ReadIam", "PolicyArn": policy.arn}]
    assert carol["Tags"] == [{"Key": "team", "Value": "risk"}]
    assert [user["UserName"] for user in details["UserDetailList"]] == [
        "Alice", "Carol", "IamAdmin", "Nobody", "Reader"]

    [group] = details["GroupDetailList"]
    assert group["GroupName"] == "Auditors"
    assert group["GroupPolicyList"] == [{"PolicyName": "GroupInline", "PolicyDocument": READ_IAM}]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "ReadIam", "PolicyArn": policy.arn}]

    auditor = next(r for r in details["RoleDetailList"] if r["RoleName"] == "Auditor")
    assert auditor["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
    assert auditor["InstanceProfileList"] == []
    assert auditor["RolePolicyList"] == [{"PolicyName": "RoleInline", "PolicyDocument": READ_IAM}]
    assert {p["PolicyName"] for p in auditor["AttachedManagedPolicies"]} == {"ReadIam", "IAMReadOnlyAccess"}

    by_name = {p["PolicyName"]: p for p in details["Policies"]}
    assert set(by_name) == {"ReadIam", "IAMReadOnlyAccess"}  # the catalogue's others are attached nowhere here
    read_iam = by_name["ReadIam"]
    assert read_iam["AttachmentCount"] == 3 and read_iam["DefaultVersionId"] == "v2"
    assert read_iam["Description"] == "read IAM"
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in read_iam["PolicyVersionList"]] == [
        ("v2", True, READ_IAM_V2), ("v1", False, READ_IAM)]
    assert by_name["IAMReadOnlyAccess"]["Arn"] == "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    assert by_name["IAMReadOnlyAccess"]["AttachmentCount"] == 1
    assert details["IsTruncated"] is False


def test_filter_picks_entity_types(iam):
    _policy, role = _furnish()
    role.managed_policies.add(_aws_managed())
    client = iam(IAM_ADMIN)

    users = client.get_account_authorization_details(Filter=["User"])
    assert len(users["UserDetailList"]) == 5
    assert users["GroupDetailList"] == users["RoleDetailList"] == users["Policies"] == []

    local = client.get_account_authorization_details(Filter=["LocalManagedPolicy"])
    assert [p["PolicyName"] for p in local["Policies"]] == ["ReadIam"]
    aws_managed = client.get_account_authorization_details(Filter=["AWSManagedPolicy"])
    assert [p["PolicyName"] for p in aws_managed["Policies"]] == ["IAMReadOnlyAccess"]

    both = client.get_account_authorization_details(Filter=["Role", "Group"])
    assert [r["RoleName"] for r in both["RoleDetailList"]] == ["Auditor", "ExampleRole"]
    assert [g["GroupName"] for g in both["GroupDetailList"]] == ["Auditors"]
    assert both["UserDetailList"] == [] and both["Policies"] == []


def test_pages_walk_every_entity_once_across_types(iam):
    _policy, role = _furnish()
    role.managed_policies.add(_aws_managed())
    client = iam(IAM_ADMIN)
    everything = client.get_account_authorization_details()
    seen = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    marker, pages = None, 0
    while True:
        page = client.get_account_authorization_details(MaxItems=2, **({"Marker": marker} if marker else {}))
        pages += 1
        assert sum(len(page[member]) for member in seen) <= 2
        for member in seen:
            seen[member] += page[member]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert pages == 5  # 5 users, 1 group, 2 roles, 2 policies: 10 entities
    assert all(seen[member] == everything[member] for member in seen)


def test_another_account_sees_only_its_own_picture(iam):
    _furnish()
    details = iam(EVE).get_account_authorization_details()
    assert [u["UserName"] for u in details["UserDetailList"]] == ["Eve"]
    assert details["GroupDetailList"] == details["RoleDetailList"] == details["Policies"] == []


def test_authorization_details_need_permission(iam):
    refused(iam(NOBODY).get_account_authorization_details, "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: "
            "iam:GetAccountAuthorizationDetails because no identity-based policy allows the "
            "iam:GetAccountAuthorizationDetails action")


def test_a_forged_marker_is_invalid_input(iam):
    refused(lambda: iam(IAM_ADMIN).get_account_authorization_details(Marker="bm90LWpzb24="), "ValidationError")


def _queries_for_details(principal) -> int:
    with CaptureQueriesContext(connection) as queries:
        execute(Call(principal=principal, region="us-east-1", service="iam",
                     operation="GetAccountAuthorizationDetails", params={}))
    return len(queries)


def test_authorization_details_cost_a_fixed_number_of_queries(world):
    root = Principal.root(Account.objects.get(pk=TRUSTED))
    _policy, role = _furnish()
    role.managed_policies.add(_aws_managed())
    few = _queries_for_details(root)
    for index in range(5):
        _furnish(suffix=f"-{index}")
    many = _queries_for_details(root)
    assert many == few
    details = execute(Call(principal=root, region="us-east-1", service="iam",
                           operation="GetAccountAuthorizationDetails", params={}))
    assert len(details["UserDetailList"]) == 10 and len(details["Policies"]) == 7
