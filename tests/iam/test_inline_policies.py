"""Inline policies of users, groups and roles over the wire: boto3 against the live server, as the account's IAM
administrator, a reader, a principal with no IAM permission and another account."""

import json

import pytest

from accounts.models import InlinePolicy
from iam.operations.common import policy_size
from tests.conftest import TRUSTED
from tests.iam.conftest import EVE, IAM_ADMIN, NOBODY, READER, allow, as_json, document, refused

READ_IAM = document(allow(["iam:Get*", "iam:List*"], sid="ReadIam"))


def sized(size: int) -> str:
    """A valid identity policy of exactly `size` characters as IAM counts them (whitespace left out; 102 at least)."""
    text = as_json(document(allow("iam:GetUser", sid="S")))
    padded = as_json(document(allow("iam:GetUser", sid="S" * (size - policy_size(text) + 1))))
    assert policy_size(padded) == size
    return padded


# kind -> (the request member naming the owner, an owner in the test world)
KINDS = {
    "user": ("UserName", "Nobody"),
    "group": ("GroupName", "KeyUsers"),
    "role": ("RoleName", "ExampleRole"),
}


class Inline:
    """The four inline-policy calls of one kind of owner, for parametrised tests."""

    def __init__(self, client, kind: str):
        self.client, self.kind = client, kind
        self.member, self.owner = KINDS[kind]
        self.title = kind.capitalize()

    def _call(self, verb: str, owner=None, **params):
        method = getattr(self.client, f"{verb}_{self.kind}_polic{'ies' if verb == 'list' else 'y'}")
        return method(**{self.member: owner or self.owner}, **params)

    def put(self, name, policy, owner=None):
        return self._call("put", owner, PolicyName=name, PolicyDocument=policy)

    def get(self, name, owner=None):
        return self._call("get", owner, PolicyName=name)

    def delete(self, name, owner=None):
        return self._call("delete", owner, PolicyName=name)

    def list(self, owner=None, **params):
        return self._call("list", owner, **params)


@pytest.fixture
def inline(iam):
    """inline(kind, credentials=IAM_ADMIN) -> an Inline for that kind; the group KeyUsers exists."""
    iam(IAM_ADMIN).create_group(GroupName="KeyUsers")
    return lambda kind, credentials=IAM_ADMIN: Inline(iam(credentials), kind)


@pytest.mark.parametrize("kind", KINDS)
def test_put_get_list_delete(inline, kind):
    policies = inline(kind)
    policies.put("ReadIam", as_json(READ_IAM))
    policies.put("AlsoReadIam", as_json(READ_IAM))
    fetched = policies.get("ReadIam")
    assert fetched[policies.member] == policies.owner and fetched["PolicyName"] == "ReadIam"
    assert fetched["PolicyDocument"] == READ_IAM  # URL-encoded on the wire, a dict in boto3
    assert policies.list()["PolicyNames"] == ["AlsoReadIam", "ReadIam"]
    policies.delete("ReadIam")
    assert policies.list()["PolicyNames"] == ["AlsoReadIam"]
    refused(lambda: policies.get("ReadIam"), "NoSuchEntity", f"The {kind} policy with name ReadIam cannot be found.")
    refused(lambda: policies.delete("ReadIam"), "NoSuchEntity", f"The {kind} policy with name ReadIam cannot be found.")


@pytest.mark.parametrize("kind", KINDS)
def test_put_replaces_a_policy_of_the_same_name(inline, kind):
    policies = inline(kind)
    policies.put("Access", as_json(READ_IAM))
    replacement = document(allow("iam:ListUsers"))
    policies.put("Access", as_json(replacement))
    assert policies.get("Access")["PolicyDocument"] == replacement
    assert policies.list()["PolicyNames"] == ["Access"]


def test_the_document_is_kept_as_written(inline):
    written = ('{\n  "Version": "2012-10-17",\n'
               '  "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]\n}')
    inline("user").put("Spaced", written)
    assert InlinePolicy.objects.get(name="Spaced").document == written
    assert inline("user").get("Spaced")["PolicyDocument"] == json.loads(written)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_owner_is_no_such_entity(inline, kind):
    policies = inline(kind)
    refused(lambda: policies.put("ReadIam", as_json(READ_IAM), owner="Ghost"), "NoSuchEntity",
            f"The {kind} with name Ghost cannot be found.")
    refused(lambda: policies.list(owner="Ghost"), "NoSuchEntity")


@pytest.mark.parametrize("policy", [
    "{not json",
    as_json(document({"Effect": "Allow", "Action": "kms:Encrypt"})),  # no resource
    as_json(document({"Effect": "Allow", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"})),
    as_json({"Version": "2012-10-17"}),  # no statement
])
@pytest.mark.parametrize("kind", KINDS)
def test_malformed_documents_are_refused(inline, kind, policy):
    excinfo = refused(lambda: inline(kind).put("Bad", policy), "MalformedPolicyDocument")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("kind, limit", [("user", 2048), ("group", 5120), ("role", 10240)])
def test_aggregate_inline_size_is_limited_per_owner(inline, kind, limit):
    policies = inline(kind)
    policies.put("First", sized(limit - 500))
    policies.put("Second", sized(500))  # exactly at the limit
    excinfo = refused(lambda: policies.put("Third", sized(150)), "LimitExceeded",
                      f"Maximum policy size of {limit} bytes exceeded for {kind} {policies.owner}")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    refused(lambda: policies.put("Second", sized(501)), "LimitExceeded")
    policies.put("Second", sized(350))  # a replaced policy does not count twice
    policies.put("Third", sized(150))


def test_whitespace_does_not_count_against_the_limit(inline):
    spaced = json.dumps(json.loads(sized(2000)), indent=40)
    assert len(spaced) > 2048
    inline("user").put("Spaced", spaced)


def test_list_policies_paginates(inline):
    policies = inline("role")
    for index in range(5):
        policies.put(f"policy-{index}", as_json(READ_IAM))
    first = policies.list(MaxItems=2)
    assert first["IsTruncated"] and first["PolicyNames"] == ["policy-0", "policy-1"]
    rest = policies.list(Marker=first["Marker"])
    assert rest["PolicyNames"] == ["policy-2", "policy-3", "policy-4"] and not rest["IsTruncated"]


def test_a_user_policy_decides_the_users_very_next_call(inline, iam):
    nobody = iam(NOBODY)
    refused(nobody.list_users, "AccessDenied")
    inline("user").put("ListUsers", as_json(document(allow("iam:ListUsers"))))
    assert "Nobody" in [u["UserName"] for u in nobody.list_users()["Users"]]
    inline("user").delete("ListUsers")
    refused(nobody.list_users, "AccessDenied")


def test_principal_without_iam_permission_is_denied_with_awss_message(inline):
    refused(lambda: inline("user", NOBODY).put("Escalate", as_json(document(allow("*")))), "AccessDenied",
            f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:PutUserPolicy on resource: "
            f"arn:aws:iam::{TRUSTED}:user/Nobody because no identity-based policy allows the iam:PutUserPolicy action")


@pytest.mark.parametrize("kind", KINDS)
def test_reader_reads_inline_policies_but_cannot_change_them(inline, kind):
    inline(kind).put("ReadIam", as_json(READ_IAM))
    reader = inline(kind, READER)
    assert reader.list()["PolicyNames"] == ["ReadIam"]
    assert reader.get("ReadIam")["PolicyDocument"] == READ_IAM
    refused(lambda: reader.put("ReadIam", as_json(document(allow("*")))), "AccessDenied")
    refused(lambda: reader.delete("ReadIam"), "AccessDenied")


@pytest.mark.parametrize("kind", KINDS)
def test_another_accounts_owners_are_not_found(inline, kind):
    inline(kind).put("ReadIam", as_json(READ_IAM))
    eve = inline(kind, EVE)
    refused(eve.list, "NoSuchEntity")
    refused(lambda: eve.get("ReadIam"), "NoSuchEntity")
    refused(lambda: eve.put("Mine", as_json(READ_IAM)), "NoSuchEntity")
    refused(lambda: eve.delete("ReadIam"), "NoSuchEntity")
