"""Access keys over the wire: created once with their secret, listed, deactivated (effective on the next call),
deleted, and when they were last used; the 2-key quota; other accounts' and session keys are not IAM's here."""

import re

import pytest
from botocore.exceptions import ClientError

from accounts.models import AccessKey
from tests.conftest import OWNER, REGION, TRUSTED
from tests.iam.conftest import (ALICE, EVE, EXAMPLE_ROLE_ARN, IAM_ADMIN, NOBODY, OWNER_ROOT, READER, TRUSTED_ROOT,
                                error_code)
from tests.iam.conftest import refused


def credentials_of(created: dict) -> tuple[str, str]:
    key = created["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_admin_creates_a_key_whose_secret_is_shown_once_and_works(iam):
    client = iam(IAM_ADMIN)
    created = client.create_access_key(UserName="Reader")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", created["AccessKeyId"])
    assert len(created["SecretAccessKey"]) == 40
    assert created["Status"] == "Active" and created["UserName"] == "Reader"

    listed = client.list_access_keys(UserName="Reader")["AccessKeyMetadata"]
    assert {key["AccessKeyId"] for key in listed} == {READER[0], created["AccessKeyId"]}
    assert all("SecretAccessKey" not in key for key in listed)
    # The new key signs Reader's calls.
    new_key = (created["AccessKeyId"], created["SecretAccessKey"])
    assert iam(new_key).get_user()["User"]["UserName"] == "Reader"


def test_the_secret_is_never_recorded(iam):
    from audit.models import AuditEvent

    created = iam(IAM_ADMIN).create_access_key(UserName="Alice")["AccessKey"]
    record = AuditEvent.objects.get(event_name="CreateAccessKey").record
    assert record["requestParameters"] == {"userName": "Alice"}
    assert record["responseElements"]["accessKey"]["accessKeyId"] == created["AccessKeyId"]
    assert created["SecretAccessKey"] not in str(record)


def test_without_user_name_a_user_manages_its_own_keys(iam):
    own = iam(READER).list_access_keys()["AccessKeyMetadata"]
    assert [(key["UserName"], key["AccessKeyId"]) for key in own] == [("Reader", READER[0])]


def test_a_third_key_exceeds_the_quota_and_changes_nothing(iam):
    client = iam(IAM_ADMIN)
    client.create_access_key(UserName="Alice")
    excinfo = refused(lambda: client.create_access_key(UserName="Alice"), "LimitExceeded",
                      "Cannot exceed quota for AccessKeysPerUser: 2")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert AccessKey.objects.filter(user__name="Alice", account_id=TRUSTED).count() == 2


def test_inactive_keys_still_count_against_the_quota(iam):
    client = iam(IAM_ADMIN)
    second = client.create_access_key(UserName="Alice")["AccessKey"]["AccessKeyId"]
    client.update_access_key(UserName="Alice", AccessKeyId=second, Status="Inactive")
    refused(lambda: client.create_access_key(UserName="Alice"), "LimitExceeded")


def test_root_creates_its_own_root_key_and_deactivation_is_effective_on_the_next_call(iam, aws):
    root = iam(TRUSTED_ROOT)
    created = root.create_access_key()["AccessKey"]
    assert "UserName" not in created  # a root key belongs to no IAM user
    new_key = credentials_of({"AccessKey": created})
    kms = aws("kms", new_key)
    kms.list_keys()  # the root user may list its account's keys

    root.update_access_key(AccessKeyId=new_key[0], Status="Inactive")
    with pytest.raises(ClientError) as excinfo:
        kms.list_keys()
    assert error_code(excinfo) == "UnrecognizedClientException"
    with pytest.raises(ClientError) as excinfo:
        iam(new_key).get_user()
    assert error_code(excinfo) == "InvalidClientTokenId"

    root.update_access_key(AccessKeyId=new_key[0], Status="Active")
    kms.list_keys()
    assert {key["AccessKeyId"]: key["Status"] for key in root.list_access_keys()["AccessKeyMetadata"]} == {
        TRUSTED_ROOT[0]: "Active", new_key[0]: "Active"}
    refused(root.create_access_key, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")


def test_a_deleted_key_no_longer_signs(iam):
    client = iam(IAM_ADMIN)
    new_key = credentials_of(client.create_access_key(UserName="Reader"))
    iam(new_key).list_users()
    client.delete_access_key(UserName="Reader", AccessKeyId=new_key[0])
    assert not AccessKey.objects.filter(access_key_id=new_key[0]).exists()
    with pytest.raises(ClientError) as excinfo:
        iam(new_key).list_users()
    assert error_code(excinfo) == "InvalidClientTokenId"


def test_another_users_key_is_not_found_under_this_user(iam):
    refused(lambda: iam(IAM_ADMIN).delete_access_key(UserName="Reader", AccessKeyId=ALICE[0]), "NoSuchEntity",
            f"The Access Key with id {ALICE[0]} cannot be found.")
    # Without UserName the key must be the caller's own.
    refused(lambda: iam(IAM_ADMIN).update_access_key(AccessKeyId=ALICE[0], Status="Inactive"), "NoSuchEntity")


def test_list_access_keys_paginates(iam):
    client = iam(IAM_ADMIN)
    client.create_access_key(UserName="Alice")
    first = client.list_access_keys(UserName="Alice", MaxItems=1)
    assert first["IsTruncated"] and len(first["AccessKeyMetadata"]) == 1
    rest = client.list_access_keys(UserName="Alice", MaxItems=1, Marker=first["Marker"])
    assert not rest["IsTruncated"] and len(rest["AccessKeyMetadata"]) == 1
    assert first["AccessKeyMetadata"][0]["AccessKeyId"] < rest["AccessKeyMetadata"][0]["AccessKeyId"]


# ---- GetAccessKeyLastUsed --------------------------------------------------------------------------


def test_an_unused_key_was_last_used_nowhere(iam):
    created = iam(IAM_ADMIN).create_access_key(UserName="Alice")["AccessKey"]
    answer = iam(IAM_ADMIN).get_access_key_last_used(AccessKeyId=created["AccessKeyId"])
    assert answer["UserName"] == "Alice"
    assert answer["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}


def test_last_used_names_the_service_region_and_time_of_the_newest_call(iam, aws):
    from django.utils import timezone

    before = timezone.now().replace(microsecond=0)
    aws("sts", ALICE).get_caller_identity()
    with pytest.raises(ClientError):
        aws("kms", ALICE, region=REGION).list_keys()  # denied calls are uses of the key too
    used = iam(IAM_ADMIN).get_access_key_last_used(AccessKeyId=ALICE[0])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "kms" and used["Region"] == REGION
    assert used["LastUsedDate"] >= before

    with pytest.raises(ClientError):
        iam(ALICE).list_users()  # IAM calls are recorded in us-east-1, as AWS records global services
    used = iam(IAM_ADMIN).get_access_key_last_used(AccessKeyId=ALICE[0])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("iam", "us-east-1")


def test_last_used_of_a_key_of_another_account_is_not_found(iam):
    refused(lambda: iam(EVE).get_access_key_last_used(AccessKeyId=ALICE[0]), "NoSuchEntity",
            f"The Access Key with id {ALICE[0]} cannot be found.")
    refused(lambda: iam(IAM_ADMIN).get_access_key_last_used(AccessKeyId=OWNER_ROOT[0]), "NoSuchEntity")


# ---- Session keys, other accounts, permissions, bad input ---------------------------------------------


def test_session_keys_are_not_iams_to_manage(iam, aws):
    session = aws("sts", ALICE).assume_role(RoleArn=EXAMPLE_ROLE_ARN, RoleSessionName="alice")["Credentials"]
    session_key = session["AccessKeyId"]
    assert session_key.startswith("ASIA")
    admin = iam(IAM_ADMIN)
    refused(lambda: admin.get_access_key_last_used(AccessKeyId=session_key), "NoSuchEntity")
    refused(lambda: admin.update_access_key(UserName="Alice", AccessKeyId=session_key, Status="Inactive"),
            "NoSuchEntity")
    refused(lambda: admin.delete_access_key(UserName="Alice", AccessKeyId=session_key), "NoSuchEntity")
    # A role session has no keys of its own to list or create.
    role = iam((session_key, session["SecretAccessKey"]), session_token=session["SessionToken"])
    refused(role.list_access_keys, "ValidationError", "Must specify userName when calling with non-User credentials")
    refused(role.create_access_key, "ValidationError")


def test_another_account_never_sees_or_touches_this_accounts_keys(iam):
    eve = iam(EVE)
    refused(lambda: eve.list_access_keys(UserName="Alice"), "NoSuchEntity", "The user with name Alice cannot be found.")
    refused(lambda: eve.create_access_key(UserName="Alice"), "NoSuchEntity")
    refused(lambda: eve.update_access_key(AccessKeyId=ALICE[0], Status="Inactive"), "NoSuchEntity")
    refused(lambda: eve.delete_access_key(AccessKeyId=ALICE[0]), "NoSuchEntity")
    refused(lambda: iam(OWNER_ROOT).delete_access_key(AccessKeyId=TRUSTED_ROOT[0]), "NoSuchEntity")
    assert AccessKey.objects.get(access_key_id=ALICE[0]).status == "Active"
    assert AccessKey.objects.filter(account_id=OWNER).count() == 1


def test_a_principal_without_permission_is_denied(iam):
    nobody = iam(NOBODY)
    refused(lambda: nobody.create_access_key(UserName="Alice"), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreateAccessKey on "
            f"resource: arn:aws:iam::{TRUSTED}:user/Alice because no identity-based policy allows the "
            "iam:CreateAccessKey action")
    refused(nobody.list_access_keys, "AccessDenied")  # not even its own, without iam:ListAccessKeys
    refused(lambda: nobody.update_access_key(UserName="Alice", AccessKeyId=ALICE[0], Status="Inactive"),
            "AccessDenied")
    refused(lambda: nobody.get_access_key_last_used(AccessKeyId=ALICE[0]), "AccessDenied")
    refused(lambda: iam(READER).delete_access_key(UserName="Alice", AccessKeyId=ALICE[0]), "AccessDenied")


def test_bad_input_is_a_validation_error(iam):
    admin = iam(IAM_ADMIN)
    refused(lambda: admin.update_access_key(UserName="Alice", AccessKeyId=ALICE[0], Status="Disabled"),
            "ValidationError")
    refused(lambda: admin.delete_access_key(UserName="Alice", AccessKeyId="AKIA-0000-0000-00000"), "ValidationError")
    refused(lambda: admin.create_access_key(UserName="bad name!"), "ValidationError")
