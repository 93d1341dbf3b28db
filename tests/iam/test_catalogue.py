"""The AWS managed policy catalogue: read-only rows shared by every account, exactly as AWS publishes them,
kept in sync by a post_migrate receiver, attachable like customer managed policies."""

import datetime as dt
import json

import pytest
from django.core.management import call_command

from accounts.models import IamPolicy, IamRole, PolicyVersion
from iam.catalogue import CATALOGUE_DIR, catalogue, sync_catalogue
from tests.conftest import TRUSTED
from tests.iam.conftest import EVE, IAM_ADMIN, NOBODY, READER, TRUSTED_ROOT, refused

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
REQUIRED = {"AdministratorAccess", "IAMFullAccess", "IAMReadOnlyAccess", "AWSKeyManagementServicePowerUser"}


def published(name: str) -> dict:
    return json.loads((CATALOGUE_DIR / f"{name}.json").read_text())


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def catalogue_rows():
    return sorted(IamPolicy.objects.filter(account__isnull=True).values_list(
        "name", "unique_id", "path", "description", "created_at", "updated_at", "default_version__version_id",
        "default_version__document", "default_version__created_at"))


def test_the_catalogue_holds_the_policies_the_guide_needs():
    assert REQUIRED <= {entry.name for entry in catalogue()}


def test_administrator_access_is_exactly_as_aws_publishes_it(iam):
    client = iam(IAM_ADMIN)
    policy = client.get_policy(PolicyArn=ADMINISTRATOR_ACCESS)["Policy"]
    assert policy == {
        "PolicyName": "AdministratorAccess",
        "PolicyId": "ANPAIWMBCKSKIEE64ZLYK",
        "Arn": ADMINISTRATOR_ACCESS,
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 0,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "Description": "Provides full access to AWS services and resources.",
        "CreateDate": utc("2015-02-06T18:39:46Z"),
        "UpdateDate": utc("2015-02-06T18:39:46Z"),
    }
    version = client.get_policy_version(PolicyArn=ADMINISTRATOR_ACCESS, VersionId="v1")["PolicyVersion"]
    assert version == {
        "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
        "VersionId": "v1",
        "IsDefaultVersion": True,
        "CreateDate": utc("2015-02-06T18:39:46Z"),
    }


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_catalogue_policy_answers_with_its_published_data(iam, name):
    data = published(name)
    client = iam(READER)
    arn = f"arn:aws:iam::aws:policy{data['Path']}{name}"
    policy = client.get_policy(PolicyArn=arn)["Policy"]
    assert (policy["PolicyId"], policy["Path"], policy["Description"], policy["DefaultVersionId"]) == (
        data["PolicyId"], data["Path"], data["Description"], data["DefaultVersionId"])
    assert (policy["CreateDate"], policy["UpdateDate"]) == (utc(data["CreateDate"]), utc(data["UpdateDate"]))
    version = client.get_policy_version(PolicyArn=arn, VersionId=data["DefaultVersionId"])["PolicyVersion"]
    assert version["Document"] == data["Document"]
    assert version["IsDefaultVersion"] and version["CreateDate"] == utc(data["UpdateDate"])
    assert [v["VersionId"] for v in client.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        data["DefaultVersionId"]]


def test_list_policies_scope_aws_is_the_catalogue(iam):
    names = [p["PolicyName"] for p in iam(READER).list_policies(Scope="AWS")["Policies"]]
    assert sorted(names) == sorted(entry.name for entry in catalogue())


def test_every_account_sees_the_same_catalogue(iam):
    trusted = iam(READER).get_policy(PolicyArn=IAM_READ_ONLY)["Policy"]
    outsider = iam(EVE).get_policy(PolicyArn=IAM_READ_ONLY)["Policy"]
    assert trusted == outsider


@pytest.mark.django_db(transaction=True)
def test_sync_is_idempotent():
    before = catalogue_rows()
    ids = sorted(PolicyVersion.objects.filter(policy__account__isnull=True).values_list("pk", flat=True))
    sync_catalogue()
    sync_catalogue()
    assert catalogue_rows() == before
    assert sorted(PolicyVersion.objects.filter(policy__account__isnull=True).values_list("pk", flat=True)) == ids


@pytest.mark.django_db(transaction=True)
def test_sync_restores_a_changed_or_missing_catalogue_policy():
    before = catalogue_rows()
    IamPolicy.objects.get(account__isnull=True, name="IAMReadOnlyAccess").delete()
    admin = IamPolicy.objects.get(account__isnull=True, name="AdministratorAccess")
    admin.set_document('{"Version": "2012-10-17", "Statement": []}')
    sync_catalogue()
    assert catalogue_rows() == before


@pytest.mark.django_db(transaction=True)
def test_the_catalogue_comes_back_after_a_flush():
    """The test runner flushes the database after each transactional test and emits post_migrate."""
    before = catalogue_rows()
    call_command("flush", interactive=False, verbosity=0)
    assert catalogue_rows() == before


def test_nobody_deletes_or_versions_an_aws_managed_policy(iam):
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    for credentials, caller in ((IAM_ADMIN, f"arn:aws:iam::{TRUSTED}:user/IamAdmin"),
                                (TRUSTED_ROOT, f"arn:aws:iam::{TRUSTED}:root")):
        client = iam(credentials)
        refused(lambda: client.delete_policy(PolicyArn=ADMINISTRATOR_ACCESS), "AccessDenied",
                f"User: {caller} is not authorized to perform: iam:DeletePolicy on resource: {ADMINISTRATOR_ACCESS} "
                "because no resource-based policy allows the iam:DeletePolicy action")
        refused(lambda: client.create_policy_version(PolicyArn=ADMINISTRATOR_ACCESS, PolicyDocument=document,
                                                     SetAsDefault=True), "AccessDenied")
        refused(lambda: client.set_default_policy_version(PolicyArn=ADMINISTRATOR_ACCESS, VersionId="v1"),
                "AccessDenied")
        refused(lambda: client.delete_policy_version(PolicyArn=ADMINISTRATOR_ACCESS, VersionId="v1"), "AccessDenied")


def test_an_attached_aws_managed_policy_counts_in_decisions(iam):
    nobody = iam(NOBODY)
    refused(lambda: nobody.list_users(), "AccessDenied")
    iam(IAM_ADMIN).attach_user_policy(UserName="Nobody", PolicyArn=IAM_READ_ONLY)
    assert "Nobody" in [user["UserName"] for user in nobody.list_users()["Users"]]
    refused(lambda: nobody.create_user(UserName="Mallory"), "AccessDenied")
    iam(IAM_ADMIN).detach_user_policy(UserName="Nobody", PolicyArn=IAM_READ_ONLY)
    refused(lambda: nobody.list_users(), "AccessDenied")


def test_attachment_count_of_a_shared_policy_counts_the_callers_account_only(iam):
    iam(IAM_ADMIN).attach_role_policy(RoleName="ExampleRole", PolicyArn=IAM_READ_ONLY)
    iam(IAM_ADMIN).attach_user_policy(UserName="Nobody", PolicyArn=IAM_READ_ONLY)
    iam(EVE).attach_user_policy(UserName="Eve", PolicyArn=IAM_READ_ONLY)
    assert iam(READER).get_policy(PolicyArn=IAM_READ_ONLY)["Policy"]["AttachmentCount"] == 2
    assert iam(EVE).get_policy(PolicyArn=IAM_READ_ONLY)["Policy"]["AttachmentCount"] == 1
    listed = iam(EVE).list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in listed] == [("IAMReadOnlyAccess", 1)]
    entities = iam(EVE).list_entities_for_policy(PolicyArn=IAM_READ_ONLY)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["Eve"]
    assert entities["PolicyRoles"] == [] and entities["PolicyGroups"] == []
    assert IamRole.objects.get(account_id=TRUSTED, name="ExampleRole").managed_policies.get().account_id is None
