"""IAM users over the wire: boto3 against the live server, as the account's IAM administrator, a reader, a
principal with no IAM permission and another account."""

import pytest
from botocore.exceptions import ClientError

from accounts.models import IamUser
from audit.models import AuditEvent
from tests.conftest import TRUSTED
from tests.iam.conftest import (ALICE, EVE, EXAMPLE_ROLE_ARN, IAM_ADMIN, NOBODY, READER, TRUSTED_ROOT, allow, as_json,
                                document, error_code, refused)


# ---- CreateUser, and the basics ---------------------------------------------------------------------


def test_admin_creates_and_reads_a_user(iam):
    client = iam(IAM_ADMIN)
    created = client.create_user(UserName="Carol", Path="/staff/", Tags=[{"Key": "team", "Value": "payments"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{TRUSTED}:user/staff/Carol"
    assert created["UserId"].startswith("AIDA")
    fetched = client.get_user(UserName="Carol")["User"]
    assert fetched["Arn"] == created["Arn"]
    assert fetched["Tags"] == [{"Key": "team", "Value": "payments"}]


def test_get_user_without_name_is_the_caller(iam):
    assert iam(IAM_ADMIN).get_user()["User"]["UserName"] == "IamAdmin"


def test_user_names_are_unique_regardless_of_case(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    with pytest.raises(ClientError) as excinfo:
        client.create_user(UserName="carol")
    assert error_code(excinfo) == "EntityAlreadyExists"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_principal_without_iam_permission_is_denied_with_awss_message(iam):
    with pytest.raises(ClientError) as excinfo:
        iam(NOBODY).create_user(UserName="Mallory")
    assert error_code(excinfo) == "AccessDenied"
    assert excinfo.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{TRUSTED}:user/Mallory because no identity-based policy allows the iam:CreateUser action")
    assert not IamUser.objects.filter(name="Mallory").exists()


def test_reader_lists_but_cannot_create(iam):
    names = [u["UserName"] for u in iam(READER).list_users()["Users"]]
    assert names == ["Alice", "IamAdmin", "Nobody", "Reader"]
    with pytest.raises(ClientError):
        iam(READER).create_user(UserName="Carol")


def test_another_account_sees_only_its_own_users(iam):
    assert [u["UserName"] for u in iam(EVE).list_users()["Users"]] == ["Eve"]
    with pytest.raises(ClientError) as excinfo:
        iam(EVE).get_user(UserName="Alice")
    assert error_code(excinfo) == "NoSuchEntity"


def test_list_users_paginates(iam):
    client = iam(IAM_ADMIN)
    for index in range(5):
        client.create_user(UserName=f"batch-{index}")
    first = client.list_users(MaxItems=3)
    assert first["IsTruncated"] and len(first["Users"]) == 3
    rest = client.list_users(MaxItems=100, Marker=first["Marker"])
    assert not rest["IsTruncated"]
    names = [u["UserName"] for u in first["Users"] + rest["Users"]]
    assert names == sorted(names) and len(names) == 9


def test_iam_calls_are_recorded_in_us_east_1(iam):
    iam(IAM_ADMIN).create_user(UserName="Carol")
    record = AuditEvent.objects.get(event_name="CreateUser").record
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["awsRegion"] == "us-east-1"
    assert record["requestParameters"] == {"userName": "Carol"}


# ---- GetUser ---------------------------------------------------------------------------------------


def test_get_user_as_root_is_the_account(iam):
    user = iam(TRUSTED_ROOT).get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{TRUSTED}:root"
    assert user["UserId"] == TRUSTED
    assert "UserName" not in user


def test_get_user_without_name_from_a_role_session_is_a_validation_error(iam, aws):
    session = aws("sts", ALICE).assume_role(RoleArn=EXAMPLE_ROLE_ARN, RoleSessionName="alice")["Credentials"]
    client = iam((session["AccessKeyId"], session["SecretAccessKey"]), session_token=session["SessionToken"])
    refused(client.get_user, "ValidationError", "Must specify userName when calling with non-User credentials")


def test_get_user_of_an_unknown_user_is_no_such_entity(iam):
    refused(lambda: iam(IAM_ADMIN).get_user(UserName="Ghost"), "NoSuchEntity",
            "The user with name Ghost cannot be found.")


# ---- ListUsers -------------------------------------------------------------------------------------


def test_list_users_filters_by_path_prefix_and_leaves_tags_out(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol", Path="/staff/eng/", Tags=[{"Key": "team", "Value": "payments"}])
    client.create_user(UserName="Dave", Path="/staff/")
    assert [u["UserName"] for u in client.list_users(PathPrefix="/staff/")["Users"]] == ["Carol", "Dave"]
    listed = client.list_users(PathPrefix="/staff/eng/")["Users"]
    assert [u["UserName"] for u in listed] == ["Carol"]
    assert "Tags" not in listed[0]  # ListUsers never returns tags (GetUser does)


def test_list_users_denied_names_the_path_arn(iam):
    refused(iam(NOBODY).list_users, "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:ListUsers on resource: "
            f"arn:aws:iam::{TRUSTED}:user/ because no identity-based policy allows the iam:ListUsers action")


def test_list_users_pages_walk_every_user_once(iam):
    client = iam(IAM_ADMIN)
    for index in range(4):
        client.create_user(UserName=f"page-{index}")
    seen, marker = [], None
    while True:
        page = client.list_users(MaxItems=3, **({"Marker": marker} if marker else {}))
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 8


def test_a_forged_marker_is_invalid_input(iam):
    refused(lambda: iam(IAM_ADMIN).list_users(Marker="not-a-marker"), "ValidationError")


# ---- UpdateUser ------------------------------------------------------------------------------------


def test_update_user_renames_and_moves(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    client.update_user(UserName="Carol", NewUserName="Caroline", NewPath="/staff/")
    user = client.get_user(UserName="Caroline")["User"]
    assert user["Arn"] == f"arn:aws:iam::{TRUSTED}:user/staff/Caroline"
    refused(lambda: client.get_user(UserName="Carol"), "NoSuchEntity")


def test_update_user_may_change_the_case_of_its_own_name(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="carol")
    client.update_user(UserName="carol", NewUserName="Carol")
    assert client.get_user(UserName="Carol")["User"]["UserName"] == "Carol"


def test_update_user_to_a_taken_name_changes_nothing(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    refused(lambda: client.update_user(UserName="Carol", NewUserName="alice"), "EntityAlreadyExists",
            "User with name alice already exists.")


def test_renaming_needs_permission_on_the_new_name_too(iam):
    from accounts.models import InlinePolicy

    iam(IAM_ADMIN).create_user(UserName="Carol")
    nobody = IamUser.objects.get(account_id=TRUSTED, name="Nobody")
    carol_only = InlinePolicy.objects.create(user=nobody, name="UpdateCarol", document=as_json(
        document(allow("iam:UpdateUser", f"arn:aws:iam::{TRUSTED}:user/Carol"))))
    refused(lambda: iam(NOBODY).update_user(UserName="Carol", NewUserName="Mallory"), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:UpdateUser on resource: "
            f"arn:aws:iam::{TRUSTED}:user/Mallory because no identity-based policy allows the iam:UpdateUser action")

    carol_only.document = as_json(document(allow("iam:UpdateUser", [f"arn:aws:iam::{TRUSTED}:user/Carol",
                                                                    f"arn:aws:iam::{TRUSTED}:user/Mallory"])))
    carol_only.save()
    iam(NOBODY).update_user(UserName="Carol", NewUserName="Mallory")
    assert IamUser.objects.filter(account_id=TRUSTED, name="Mallory").exists()


def test_invalid_names_and_paths_are_validation_errors(iam):
    client = iam(IAM_ADMIN)
    refused(lambda: client.create_user(UserName="bad name!"), "ValidationError")
    refused(lambda: client.create_user(UserName="x" * 65), "ValidationError")
    refused(lambda: client.create_user(UserName="Carol", Path="staff"), "ValidationError")
    client.create_user(UserName="Carol")
    refused(lambda: client.update_user(UserName="Carol", NewUserName="no/slash"), "ValidationError")


# ---- DeleteUser ------------------------------------------------------------------------------------


def test_delete_user_removes_it(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    client.delete_user(UserName="Carol")
    assert not IamUser.objects.filter(name="Carol").exists()


@pytest.mark.parametrize("attachment, message", [
    ("login profile", "Cannot delete entity, must delete login profile first."),
    ("access key", "Cannot delete entity, must delete access keys first."),
    ("inline policy", "Cannot delete entity, must delete policies first."),
    ("managed policy", "Cannot delete entity, must detach all policies first."),
    ("group", "Cannot delete entity, must remove users from group first."),
])
def test_delete_user_with_something_attached_is_a_delete_conflict(iam, attachment, message):
    from accounts.models import IamGroup, IamPolicy, InlinePolicy

    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    carol = IamUser.objects.get(account_id=TRUSTED, name="Carol")
    if attachment == "login profile":
        client.create_login_profile(UserName="Carol", Password="Carol-console-pw-1")
    elif attachment == "access key":
        client.create_access_key(UserName="Carol")
    elif attachment == "inline policy":
        InlinePolicy.objects.create(user=carol, name="ReadIam", document=as_json(document(allow("iam:Get*"))))
    elif attachment == "managed policy":
        policy = IamPolicy.create_with_document(account_id=TRUSTED, name="ReadIam",
                                                document=as_json(document(allow("iam:Get*"))))
        carol.managed_policies.add(policy)
    else:
        carol.groups.add(IamGroup.objects.create(account_id=TRUSTED, name="Staff"))
    refused(lambda: client.delete_user(UserName="Carol"), "DeleteConflict", message)


def test_another_account_cannot_touch_this_accounts_users(iam):
    eve = iam(EVE)
    refused(lambda: eve.delete_user(UserName="Alice"), "NoSuchEntity", "The user with name Alice cannot be found.")
    refused(lambda: eve.update_user(UserName="Alice", NewUserName="Mallory"), "NoSuchEntity")
    refused(lambda: eve.tag_user(UserName="Alice", Tags=[{"Key": "k", "Value": "v"}]), "NoSuchEntity")
    refused(lambda: eve.list_user_tags(UserName="Alice"), "NoSuchEntity")


def test_nobody_cannot_delete_or_tag(iam):
    refused(lambda: iam(NOBODY).delete_user(UserName="Alice"), "AccessDenied")
    refused(lambda: iam(NOBODY).tag_user(UserName="Alice", Tags=[{"Key": "k", "Value": "v"}]), "AccessDenied")


# ---- Tags ------------------------------------------------------------------------------------------


def test_tag_untag_and_list_user_tags(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol", Tags=[{"Key": "team", "Value": "payments"}])
    client.tag_user(UserName="Carol", Tags=[{"Key": "team", "Value": "risk"}, {"Key": "cost", "Value": "42"}])
    assert client.list_user_tags(UserName="Carol")["Tags"] == [
        {"Key": "cost", "Value": "42"}, {"Key": "team", "Value": "risk"}]
    first = client.list_user_tags(UserName="Carol", MaxItems=1)
    assert first["IsTruncated"] and first["Tags"] == [{"Key": "cost", "Value": "42"}]
    rest = client.list_user_tags(UserName="Carol", Marker=first["Marker"])
    assert rest["Tags"] == [{"Key": "team", "Value": "risk"}] and not rest["IsTruncated"]
    client.untag_user(UserName="Carol", TagKeys=["team", "absent"])
    assert client.list_user_tags(UserName="Carol")["Tags"] == [{"Key": "cost", "Value": "42"}]


def test_reserved_tag_keys_are_refused(iam):
    client = iam(IAM_ADMIN)
    client.create_user(UserName="Carol")
    refused(lambda: client.tag_user(UserName="Carol", Tags=[{"Key": "aws:team", "Value": "x"}]), "InvalidInput")


def test_a_permissions_boundary_is_refused_not_ignored(iam):
    # Ignoring it would make the user more powerful than asked; there are no boundaries here.
    refused(lambda: iam(IAM_ADMIN).create_user(
        UserName="Bounded", PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess"), "InvalidInput")
