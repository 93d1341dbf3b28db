"""IAM user groups over the wire: boto3 against the live server, as the account's IAM administrator, a reader, a
principal with no IAM permission and another account."""

from accounts.models import IamGroup
from tests.conftest import TRUSTED
from tests.iam.conftest import EVE, IAM_ADMIN, NOBODY, READER, allow, as_json, document, refused


def test_admin_creates_a_group_and_reads_it_with_its_members(iam):
    client = iam(IAM_ADMIN)
    created = client.create_group(GroupName="KeyUsers", Path="/kms/")["Group"]
    assert created["Arn"] == f"arn:aws:iam::{TRUSTED}:group/kms/KeyUsers"
    assert created["GroupId"].startswith("AGPA") and created["Path"] == "/kms/"
    client.add_user_to_group(GroupName="KeyUsers", UserName="Alice")
    client.add_user_to_group(GroupName="KeyUsers", UserName="Nobody")
    answer = client.get_group(GroupName="KeyUsers")
    assert answer["Group"]["GroupId"] == created["GroupId"]
    assert [u["UserName"] for u in answer["Users"]] == ["Alice", "Nobody"]
    assert answer["Users"][0]["Arn"] == f"arn:aws:iam::{TRUSTED}:user/Alice"
    assert answer["IsTruncated"] is False


def test_get_group_paginates_its_members(iam):
    client = iam(IAM_ADMIN)
    client.create_group(GroupName="Everyone")
    for user in ("Alice", "IamAdmin", "Nobody", "Reader"):
        client.add_user_to_group(GroupName="Everyone", UserName=user)
    first = client.get_group(GroupName="Everyone", MaxItems=3)
    assert first["IsTruncated"] and [u["UserName"] for u in first["Users"]] == ["Alice", "IamAdmin", "Nobody"]
    rest = client.get_group(GroupName="Everyone", Marker=first["Marker"])
    assert not rest["IsTruncated"] and [u["UserName"] for u in rest["Users"]] == ["Reader"]


def test_group_names_are_unique_regardless_of_case(iam):
    client = iam(IAM_ADMIN)
    client.create_group(GroupName="KeyUsers")
    excinfo = refused(lambda: client.create_group(GroupName="keyusers"), "EntityAlreadyExists",
                      "Group with name keyusers already exists.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_missing_group_is_no_such_entity(iam):
    refused(lambda: iam(IAM_ADMIN).get_group(GroupName="Ghosts"), "NoSuchEntity",
            "The group with name Ghosts cannot be found.")


def test_list_groups_by_path_prefix_and_pages(iam):
    client = iam(IAM_ADMIN)
    for name, path in (("Admins", "/ops/"), ("Auditors", "/ops/audit/"), ("Developers", "/"), ("KeyUsers", "/kms/")):
        client.create_group(GroupName=name, Path=path)
    assert [g["GroupName"] for g in client.list_groups()["Groups"]] == ["Admins", "Auditors", "Developers", "KeyUsers"]
    assert [g["GroupName"] for g in client.list_groups(PathPrefix="/ops/")["Groups"]] == ["Admins", "Auditors"]
    first = client.list_groups(MaxItems=2)
    assert first["IsTruncated"] and len(first["Groups"]) == 2
    rest = client.list_groups(Marker=first["Marker"])
    assert [g["GroupName"] for g in rest["Groups"]] == ["Developers", "KeyUsers"] and not rest["IsTruncated"]


def test_list_groups_for_user(iam):
    client = iam(IAM_ADMIN)
    for name in ("Developers", "KeyUsers", "Auditors"):
        client.create_group(GroupName=name)
    client.add_user_to_group(GroupName="KeyUsers", UserName="Alice")
    client.add_user_to_group(GroupName="Developers", UserName="Alice")
    assert [g["GroupName"] for g in client.list_groups_for_user(UserName="Alice")["Groups"]] == [
        "Developers", "KeyUsers"]
    assert client.list_groups_for_user(UserName="Nobody")["Groups"] == []
    refused(lambda: client.list_groups_for_user(UserName="Ghost"), "NoSuchEntity",
            "The user with name Ghost cannot be found.")


def test_adding_twice_and_removing_a_non_member_change_nothing(iam):
    client = iam(IAM_ADMIN)
    client.create_group(GroupName="KeyUsers")
    client.add_user_to_group(GroupName="KeyUsers", UserName="Alice")
    client.add_user_to_group(GroupName="KeyUsers", UserName="Alice")
    assert [u["UserName"] for u in client.get_group(GroupName="KeyUsers")["Users"]] == ["Alice"]
    client.remove_user_from_group(GroupName="KeyUsers", UserName="Nobody")
    client.remove_user_from_group(GroupName="KeyUsers", UserName="Alice")
    assert client.get_group(GroupName="KeyUsers")["Users"] == []


def test_membership_of_missing_user_or_group_is_no_such_entity(iam):
    client = iam(IAM_ADMIN)
    client.create_group(GroupName="KeyUsers")
    refused(lambda: client.add_user_to_group(GroupName="KeyUsers", UserName="Ghost"), "NoSuchEntity",
            "The user with name Ghost cannot be found.")
    refused(lambda: client.add_user_to_group(GroupName="Ghosts", UserName="Alice"), "NoSuchEntity",
            "The group with name Ghosts cannot be found.")
    refused(lambda: client.remove_user_from_group(GroupName="Ghosts", UserName="Alice"), "NoSuchEntity")


def test_a_user_belongs_to_at_most_ten_groups(iam):
    client = iam(IAM_ADMIN)
    for index in range(11):
        client.create_group(GroupName=f"group-{index:02}")
    for index in range(10):
        client.add_user_to_group(GroupName=f"group-{index:02}", UserName="Alice")
    excinfo = refused(lambda: client.add_user_to_group(GroupName="group-10", UserName="Alice"), "LimitExceeded",
                      "Cannot exceed quota for GroupsPerUser: 10")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    client.add_user_to_group(GroupName="group-10", UserName="Nobody")  # the quota is per user


def test_update_group_renames_and_moves_it(iam):
    client = iam(IAM_ADMIN)
    client.create_group(GroupName="KeyUsers")
    client.add_user_to_group(GroupName="KeyUsers", UserName="Alice")
    client.update_group(GroupName="KeyUsers", NewGroupName="KeyConsumers", NewPath="/kms/")
    group = client.get_group(GroupName="KeyConsumers")
    assert group["Group"]["Arn"] == f"arn:aws:iam::{TRUSTED}:group/kms/KeyConsumers"
    assert [u["UserName"] for u in group["Users"]] == ["Alice"]
    refused(lambda: client.get_group(GroupName="KeyUsers"), "NoSuchEntity")


def test_update_group_to_a_taken_name_is_refused(iam):
    client = iam(IAM_ADMIN)
    client.create_group(GroupName="KeyUsers")
    client.create_group(GroupName="Developers")
    refused(lambda: client.update_group(GroupName="KeyUsers", NewGroupName="DEVELOPERS"), "EntityAlreadyExists",
            "Group with name DEVELOPERS already exists.")
    client.update_group(GroupName="KeyUsers", NewGroupName="keyusers")  # only the case changes: allowed
    assert client.get_group(GroupName="KEYUSERS")["Group"]["GroupName"] == "keyusers"


def test_delete_group_needs_it_empty_and_without_policies(iam):
    client = iam(IAM_ADMIN)
    client.create_group(GroupName="KeyUsers")
    client.add_user_to_group(GroupName="KeyUsers", UserName="Alice")
    client.put_group_policy(GroupName="KeyUsers", PolicyName="ReadIam",
                            PolicyDocument=as_json(document(allow("iam:Get*"))))
    refused(lambda: client.delete_group(GroupName="KeyUsers"), "DeleteConflict",
            "Cannot delete entity, must remove users from group first.")
    client.remove_user_from_group(GroupName="KeyUsers", UserName="Alice")
    refused(lambda: client.delete_group(GroupName="KeyUsers"), "DeleteConflict",
            "Cannot delete entity, must delete policies first.")
    client.delete_group_policy(GroupName="KeyUsers", PolicyName="ReadIam")
    client.delete_group(GroupName="KeyUsers")
    assert not IamGroup.objects.filter(name="KeyUsers").exists()


def test_delete_group_with_an_attached_managed_policy_is_refused(iam):
    from accounts.models import IamPolicy

    client = iam(IAM_ADMIN)
    client.create_group(GroupName="KeyUsers")
    policy = IamPolicy.create_with_document(account_id=TRUSTED, name="ReadIam",
                                            document=as_json(document(allow("iam:Get*"))))
    IamGroup.objects.get(name="KeyUsers").managed_policies.add(policy)
    refused(lambda: client.delete_group(GroupName="KeyUsers"), "DeleteConflict",
            "Cannot delete entity, must detach all policies first.")


def test_principal_without_iam_permission_is_denied_with_awss_message(iam):
    refused(lambda: iam(NOBODY).create_group(GroupName="Mallory"), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreateGroup on resource: "
            f"arn:aws:iam::{TRUSTED}:group/Mallory because no identity-based policy allows the iam:CreateGroup action")


def test_reader_reads_groups_but_cannot_change_membership(iam):
    iam(IAM_ADMIN).create_group(GroupName="KeyUsers")
    reader = iam(READER)
    assert [g["GroupName"] for g in reader.list_groups()["Groups"]] == ["KeyUsers"]
    assert reader.get_group(GroupName="KeyUsers")["Users"] == []
    refused(lambda: reader.add_user_to_group(GroupName="KeyUsers", UserName="Reader"), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Reader is not authorized to perform: iam:AddUserToGroup on "
            f"resource: arn:aws:iam::{TRUSTED}:group/KeyUsers because no identity-based policy allows the "
            "iam:AddUserToGroup action")
    refused(lambda: reader.delete_group(GroupName="KeyUsers"), "AccessDenied")


def test_another_account_sees_only_its_own_groups(iam):
    iam(IAM_ADMIN).create_group(GroupName="KeyUsers")
    eve = iam(EVE)
    assert eve.list_groups()["Groups"] == []
    refused(lambda: eve.get_group(GroupName="KeyUsers"), "NoSuchEntity")
    refused(lambda: eve.delete_group(GroupName="KeyUsers"), "NoSuchEntity")
    refused(lambda: eve.add_user_to_group(GroupName="KeyUsers", UserName="Eve"), "NoSuchEntity")
    eve.create_group(GroupName="KeyUsers")  # names are per account
    assert IamGroup.objects.filter(name="KeyUsers").count() == 2
