"""Managed policy versions over the wire: CreatePolicyVersion (SetAsDefault, at most 5), GetPolicyVersion,
ListPolicyVersions, DeletePolicyVersion, SetDefaultPolicyVersion; version ids are never reused."""

import time

from tests.conftest import TRUSTED
from tests.iam.conftest import EVE, IAM_ADMIN, NOBODY, READER, allow, as_json, document, key_use_policy, refused

POLICY_ARN = f"arn:aws:iam::{TRUSTED}:policy/UseExampleKey"


def decrypt_only(index: int = 0) -> str:
    return as_json(document(allow("kms:Decrypt", sid=f"Version{index}")))


def new_policy(iam):
    client = iam(IAM_ADMIN)
    client.create_policy(PolicyName="UseExampleKey", PolicyDocument=as_json(key_use_policy()))
    return client


def version_ids(client) -> list[str]:
    return [version["VersionId"] for version in client.list_policy_versions(PolicyArn=POLICY_ARN)["Versions"]]


def default_of(client) -> str:
    return client.get_policy(PolicyArn=POLICY_ARN)["Policy"]["DefaultVersionId"]


def test_a_new_version_is_not_the_default_unless_asked(iam):
    client = new_policy(iam)
    created = client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only())["PolicyVersion"]
    assert (created["VersionId"], created["IsDefaultVersion"]) == ("v2", False)
    assert "Document" not in created
    assert default_of(client) == "v1"
    made_default = client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only(1),
                                                SetAsDefault=True)["PolicyVersion"]
    assert (made_default["VersionId"], made_default["IsDefaultVersion"]) == ("v3", True)
    assert default_of(client) == "v3"
    version = client.get_policy_version(PolicyArn=POLICY_ARN, VersionId="v3")["PolicyVersion"]
    assert version["Document"] == document(allow("kms:Decrypt", sid="Version1"))
    assert version["IsDefaultVersion"] and version["CreateDate"] == made_default["CreateDate"]
    assert client.get_policy_version(PolicyArn=POLICY_ARN, VersionId="v1")["PolicyVersion"]["IsDefaultVersion"] is False


def test_update_date_is_when_the_newest_version_was_created(iam):
    client = new_policy(iam)
    created = client.get_policy(PolicyArn=POLICY_ARN)["Policy"]["CreateDate"]
    time.sleep(1.1)  # timestamps travel to the second
    v2 = client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only())["PolicyVersion"]
    policy = client.get_policy(PolicyArn=POLICY_ARN)["Policy"]
    assert policy["CreateDate"] == created and policy["UpdateDate"] == v2["CreateDate"] > created
    client.set_default_policy_version(PolicyArn=POLICY_ARN, VersionId="v2")
    assert client.get_policy(PolicyArn=POLICY_ARN)["Policy"]["UpdateDate"] == v2["CreateDate"]


def test_at_most_five_versions(iam):
    client = new_policy(iam)
    for index in range(4):
        client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only(index))
    assert version_ids(client) == ["v5", "v4", "v3", "v2", "v1"]
    excinfo = refused(
        lambda: client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only(9), SetAsDefault=True),
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing "
        "version.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_version_ids_are_never_reused(iam):
    client = new_policy(iam)
    for index in range(4):
        client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only(index))
    client.delete_policy_version(PolicyArn=POLICY_ARN, VersionId="v5")
    client.delete_policy_version(PolicyArn=POLICY_ARN, VersionId="v4")
    created = client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only())["PolicyVersion"]
    assert created["VersionId"] == "v6"
    assert version_ids(client) == ["v6", "v3", "v2", "v1"]
    refused(lambda: client.get_policy_version(PolicyArn=POLICY_ARN, VersionId="v5"), "NoSuchEntity",
            f"Policy {POLICY_ARN} version v5 does not exist or is not attachable.")


def test_list_policy_versions_paginates_newest_first(iam):
    client = new_policy(iam)
    for index in range(3):
        client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only(index))
    first = client.list_policy_versions(PolicyArn=POLICY_ARN, MaxItems=3)
    assert first["IsTruncated"] and [v["VersionId"] for v in first["Versions"]] == ["v4", "v3", "v2"]
    assert all("Document" not in v for v in first["Versions"])
    rest = client.list_policy_versions(PolicyArn=POLICY_ARN, MaxItems=3, Marker=first["Marker"])
    assert not rest["IsTruncated"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in rest["Versions"]] == [("v1", True)]


def test_the_default_version_cannot_be_deleted(iam):
    client = new_policy(iam)
    client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only(), SetAsDefault=True)
    excinfo = refused(lambda: client.delete_policy_version(PolicyArn=POLICY_ARN, VersionId="v2"), "DeleteConflict",
                      "Cannot delete the default version of a policy.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    client.delete_policy_version(PolicyArn=POLICY_ARN, VersionId="v1")
    assert version_ids(client) == ["v2"]


def test_set_default_policy_version(iam):
    client = new_policy(iam)
    client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only(), SetAsDefault=True)
    client.set_default_policy_version(PolicyArn=POLICY_ARN, VersionId="v1")
    assert default_of(client) == "v1"
    refused(lambda: client.set_default_policy_version(PolicyArn=POLICY_ARN, VersionId="v7"), "NoSuchEntity",
            f"Policy {POLICY_ARN} version v7 does not exist or is not attachable.")


def test_bad_versions_and_documents_change_nothing(iam):
    client = new_policy(iam)
    refused(lambda: client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument="{"), "MalformedPolicyDocument")
    too_big = as_json(document(allow("kms:Encrypt", "arn:aws:kms:us-west-2:111122223333:key/" + "k" * 6200)))
    refused(lambda: client.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=too_big), "LimitExceeded",
            "Cannot exceed quota for PolicySize: 6144")
    refused(lambda: client.delete_policy_version(PolicyArn=POLICY_ARN, VersionId="v2"), "NoSuchEntity")
    refused(lambda: client.get_policy_version(PolicyArn=POLICY_ARN, VersionId="v01"), "ValidationError")
    missing = f"arn:aws:iam::{TRUSTED}:policy/Missing"
    refused(lambda: client.create_policy_version(PolicyArn=missing, PolicyDocument=decrypt_only()), "NoSuchEntity",
            f"Policy {missing} was not found.")


def test_versions_need_permission_and_stay_in_their_account(iam):
    new_policy(iam)
    refused(lambda: iam(NOBODY).create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only()),
            "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreatePolicyVersion on "
            f"resource: {POLICY_ARN} because no identity-based policy allows the iam:CreatePolicyVersion action")
    reader = iam(READER)
    assert [v["VersionId"] for v in reader.list_policy_versions(PolicyArn=POLICY_ARN)["Versions"]] == ["v1"]
    refused(lambda: reader.set_default_policy_version(PolicyArn=POLICY_ARN, VersionId="v1"), "AccessDenied")
    refused(lambda: reader.delete_policy_version(PolicyArn=POLICY_ARN, VersionId="v1"), "AccessDenied")
    refused(lambda: iam(EVE).get_policy_version(PolicyArn=POLICY_ARN, VersionId="v1"), "NoSuchEntity")
    refused(lambda: iam(EVE).create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=decrypt_only()),
            "NoSuchEntity")
