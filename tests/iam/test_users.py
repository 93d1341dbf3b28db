"""IAM users over the wire: boto3 against the live server, as the account's IAM administrator, a reader, a
principal with no IAM permission and another account."""

import pytest
from botocore.exceptions import ClientError

from accounts.models import IamUser
from audit.models import AuditEvent
from tests.conftest import TRUSTED
from tests.iam.conftest import EVE, IAM_ADMIN, NOBODY, READER, error_code


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
