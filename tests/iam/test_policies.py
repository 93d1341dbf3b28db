"""Customer managed policies over the wire: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, as the
account's IAM administrator, a reader, a principal with no IAM permission and another account."""

import json

import pytest

from accounts.models import IamPolicy
from tests.conftest import OUTSIDER, TRUSTED
from tests.iam.conftest import (EVE, IAM_ADMIN, NOBODY, READER, TRUSTED_ROOT, allow, as_json, document,
                                key_use_policy, refused)

POLICY_ARN = f"arn:aws:iam::{TRUSTED}:policy/UseExampleKey"


def create(client, name="UseExampleKey", **kwargs):
    kwargs.setdefault("PolicyDocument", as_json(key_use_policy()))
    return client.create_policy(PolicyName=name, **kwargs)["Policy"]


def test_admin_creates_a_policy_and_reads_it_back(iam):
    client = iam(IAM_ADMIN)
    created = create(client, Path="/kms/", Description="Use the shared key")
    arn = f"arn:aws:iam::{TRUSTED}:policy/kms/UseExampleKey"
    assert created["Arn"] == arn and created["PolicyId"].startswith("ANPA") and len(created["PolicyId"]) == 21
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == ("v1", 0, True)
    assert created["CreateDate"] == created["UpdateDate"]
    fetched = client.get_policy(PolicyArn=arn)["Policy"]
    assert fetched == {**created, "Description": "Use the shared key"}
    version = client.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == key_use_policy()
    assert version["IsDefaultVersion"] and version["CreateDate"] == created["CreateDate"]


def test_the_document_comes_back_as_it_was_sent(iam):
    client = iam(IAM_ADMIN)
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]\n}'
    create(client, PolicyDocument=text)
    assert IamPolicy.objects.get(name="UseExampleKey").document == text


def test_policy_names_are_unique_regardless_of_case(iam):
    client = iam(IAM_ADMIN)
    create(client)
    excinfo = refused(lambda: create(client, "useexamplekey", Path="/other/"), "EntityAlreadyExists",
                      "A policy called useexamplekey already exists. Duplicate names are not allowed.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_another_account_may_use_the_same_name(iam):
    create(iam(IAM_ADMIN))
    assert create(iam(EVE))["Arn"] == f"arn:aws:iam::{OUTSIDER}:policy/UseExampleKey"


def test_malformed_documents_are_refused(iam):
    client = iam(IAM_ADMIN)
    refused(lambda: create(client, PolicyDocument="{not json"), "MalformedPolicyDocument")
    refused(lambda: create(client, PolicyDocument=as_json(document({"Effect": "Allow", "Action": "kms:Encrypt"}))),
            "MalformedPolicyDocument")


def test_document_size_is_counted_without_whitespace(iam):
    client = iam(IAM_ADMIN)

    def sized(characters: int, padding: str = "") -> str:
        base = as_json(document(allow("kms:Encrypt", "arn:aws:kms:us-west-2:111122223333:key/")))
        filler = characters - len("".join(base.split()))
        resource = "arn:aws:kms:us-west-2:111122223333:key/" + "k" * filler
        text = as_json(document(allow("kms:Encrypt", resource)))
        return text.replace(", ", "," + padding + " ") if padding else text

    excinfo = refused(lambda: create(client, "Big", PolicyDocument=sized(6145)), "LimitExceeded",
                      "Cannot exceed quota for PolicySize: 6144")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert create(client, "Spacious", PolicyDocument=sized(6144, padding=" " * 200))["DefaultVersionId"] == "v1"


def test_principal_without_iam_permission_is_denied_with_awss_message(iam):
    refused(lambda: create(iam(NOBODY)), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreatePolicy on resource: "
            f"{POLICY_ARN} because no identity-based policy allows the iam:CreatePolicy action")


def test_reader_reads_but_cannot_create_or_delete(iam):
    create(iam(IAM_ADMIN))
    reader = iam(READER)
    assert reader.get_policy(PolicyArn=POLICY_ARN)["Policy"]["PolicyName"] == "UseExampleKey"
    refused(lambda: create(reader, "Other"), "AccessDenied")
    refused(lambda: reader.delete_policy(PolicyArn=POLICY_ARN), "AccessDenied")


def test_root_user_manages_policies_without_iam_policies(iam):
    client = iam(TRUSTED_ROOT)
    create(client)
    client.delete_policy(PolicyArn=POLICY_ARN)
    assert not IamPolicy.objects.filter(account_id=TRUSTED).exists()


def test_missing_policy_other_accounts_policy_and_bad_arn(iam):
    create(iam(EVE))
    client = iam(IAM_ADMIN)
    refused(lambda: client.get_policy(PolicyArn=POLICY_ARN), "NoSuchEntity", f"Policy {POLICY_ARN} was not found.")
    eves = f"arn:aws:iam::{OUTSIDER}:policy/UseExampleKey"
    refused(lambda: client.get_policy(PolicyArn=eves), "NoSuchEntity", f"Policy {eves} was not found.")
    refused(lambda: client.delete_policy(PolicyArn=eves), "NoSuchEntity")
    refused(lambda: client.get_policy(PolicyArn="arn:aws:iam::444455556666:user/Alice"), "InvalidInput",
            "ARN arn:aws:iam::444455556666:user/Alice is not valid.")


def test_delete_policy(iam):
    client = iam(IAM_ADMIN)
    create(client)
    client.delete_policy(PolicyArn=POLICY_ARN)
    refused(lambda: client.get_policy(PolicyArn=POLICY_ARN), "NoSuchEntity")


def test_a_policy_attached_to_entities_cannot_be_deleted(iam):
    client = iam(IAM_ADMIN)
    create(client)
    client.attach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN)
    refused(lambda: client.delete_policy(PolicyArn=POLICY_ARN), "DeleteConflict",
            "Cannot delete a policy attached to entities.")
    client.detach_role_policy(RoleName="ExampleRole", PolicyArn=POLICY_ARN)
    client.delete_policy(PolicyArn=POLICY_ARN)


def test_a_policy_with_versions_besides_the_default_cannot_be_deleted(iam):
    client = iam(IAM_ADMIN)
    create(client)
    client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=as_json(document(allow("kms:Decrypt"))))
    refused(lambda: client.delete_policy(PolicyArn=POLICY_ARN), "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete the policy's "
            "versions. The default version is deleted with the policy.")
    client.delete_policy_version(PolicyArn=POLICY_ARN, VersionId="v2")
    client.delete_policy(PolicyArn=POLICY_ARN)
    assert not IamPolicy.objects.filter(account_id=TRUSTED).exists()


# ---- ListPolicies --------------------------------------------------------------------------------------------


def names(response) -> list[str]:
    return [policy["PolicyName"] for policy in response["Policies"]]


def aws_managed_names() -> list[str]:
    return sorted(IamPolicy.objects.filter(account__isnull=True).values_list("name", flat=True))


def test_list_policies_scopes(iam):
    client = iam(IAM_ADMIN)
    create(client, "Zeta")
    create(client, "Alpha")
    create(iam(EVE), "EvesOwn")
    assert names(client.list_policies(Scope="Local")) == ["Alpha", "Zeta"]
    assert sorted(names(client.list_policies(Scope="AWS"))) == aws_managed_names()
    assert sorted(names(client.list_policies())) == sorted(["Alpha", "Zeta", *aws_managed_names()])
    assert names(client.list_policies(Scope="All")) == names(client.list_policies())


def test_list_policies_leaves_the_description_out(iam):
    client = iam(IAM_ADMIN)
    create(client, Description="kept, but not listed")
    listed = client.list_policies(Scope="Local")["Policies"][0]
    assert "Description" not in listed
    assert (listed["AttachmentCount"], listed["PermissionsBoundaryUsageCount"]) == (0, 0)


def test_list_policies_only_attached_counts_the_callers_attachments(iam):
    client = iam(IAM_ADMIN)
    create(client, "Attached")
    create(client, "Loose")
    client.attach_role_policy(RoleName="ExampleRole", PolicyArn=f"arn:aws:iam::{TRUSTED}:policy/Attached")
    client.attach_user_policy(UserName="Alice", PolicyArn=f"arn:aws:iam::{TRUSTED}:policy/Attached")
    client.attach_user_policy(UserName="Alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    attached = client.list_policies(OnlyAttached=True)["Policies"]
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in attached] == [("Attached", 2), ("IAMReadOnlyAccess", 1)]
    assert names(client.list_policies(Scope="Local", OnlyAttached=True)) == ["Attached"]
    assert names(iam(EVE).list_policies(OnlyAttached=True)) == []


def test_list_policies_path_prefix(iam):
    client = iam(IAM_ADMIN)
    create(client, "Team", Path="/team/kms/")
    create(client, "Other", Path="/other/")
    assert names(client.list_policies(Scope="Local", PathPrefix="/team/")) == ["Team"]
    assert names(client.list_policies(PathPrefix="/team/kms/")) == ["Team"]


def test_list_policies_paginates(iam):
    client = iam(IAM_ADMIN)
    for index in range(7):
        create(client, f"batch-{index}")
    IamPolicy.create_with_document(document=as_json(key_use_policy()), account_id=TRUSTED, name="AdministratorAccess")
    first = client.list_policies(MaxItems=4)
    assert first["IsTruncated"] and len(first["Policies"]) == 4
    seen = first["Policies"]
    marker = first["Marker"]
    while marker:
        page = client.list_policies(MaxItems=4, Marker=marker)
        seen += page["Policies"]
        marker = page.get("Marker")
        assert bool(marker) == page["IsTruncated"]
    arns = [policy["Arn"] for policy in seen]
    assert len(arns) == len(set(arns)) == 8 + len(aws_managed_names())


def test_list_policies_refuses_a_bad_marker(iam):
    refused(lambda: iam(IAM_ADMIN).list_policies(Marker="not-a-marker"), "ValidationError")


@pytest.mark.parametrize("credentials", [NOBODY])
def test_list_policies_needs_permission(iam, credentials):
    refused(lambda: iam(credentials).list_policies(), "AccessDenied")


def test_create_policy_is_recorded_with_its_document(iam):
    from audit.models import AuditEvent

    create(iam(IAM_ADMIN))
    record = AuditEvent.objects.get(event_name="CreatePolicy").record
    assert record["eventSource"] == "iam.amazonaws.com"
    assert json.loads(record["requestParameters"]["policyDocument"]) == key_use_policy()
