"""Inline policies of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy/Policies.

An inline policy lives in exactly one entity. IAM limits the aggregate size of an entity's inline policies
(whitespace not counted): 2,048 characters for a user, 5,120 for a group, 10,240 for a role (IAM User Guide,
IAM and AWS STS quotas). Put replaces a policy of the same name, so the replaced one does not count.
"""

from __future__ import annotations

from accounts.models import InlinePolicy
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import (INLINE_LIMITS, authorize, check_document, find_group, find_role, find_user,
                                   paginate, policy_size)

# kind -> (the request member naming the owner, how to find the owner in the caller's account)
_OWNERS = {
    "user": ("UserName", find_user),
    "group": ("GroupName", find_group),
    "role": ("RoleName", find_role),
}


def _owner(call, kind: str):
    member, find = _OWNERS[kind]
    owner = find(call, call.params[member])
    authorize(call, owner.arn)
    return owner


def _find_inline(call, kind: str, owner) -> InlinePolicy:
    name = call.params["PolicyName"]
    policy = owner.inline_policies.filter(name=name).first()
    if policy is None:
        raise errors.NoSuchEntityException(f"The {kind} policy with name {name} cannot be found.")
    return policy


def _put(call, kind: str) -> dict:
    owner = _owner(call, kind)
    name, document = call.params["PolicyName"], call.params["PolicyDocument"]
    check_document(document)
    others = owner.inline_policies.exclude(name=name).values_list("document", flat=True)
    limit = INLINE_LIMITS[kind]
    if sum(policy_size(other) for other in others) + policy_size(document) > limit:
        raise errors.LimitExceededException(f"Maximum policy size of {limit} bytes exceeded for {kind} {owner.name}",
                                            field="PolicyDocument")
    InlinePolicy.objects.update_or_create(**{kind: owner, "name": name}, defaults={"document": document})
    return {}


def _get(call, kind: str) -> dict:
    owner = _owner(call, kind)
    policy = _find_inline(call, kind, owner)
    return {_OWNERS[kind][0]: owner.name, "PolicyName": policy.name, "PolicyDocument": policy.document}


def _delete(call, kind: str) -> dict:
    owner = _owner(call, kind)
    _find_inline(call, kind, owner).delete()
    return {}


def _list(call, kind: str) -> dict:
    owner = _owner(call, kind)
    page, more = paginate(owner.inline_policies.all(), call.params)
    return {"PolicyNames": [policy.name for policy in page], **more}


@operation("iam", "PutUserPolicy")
def put_user_policy(call):
    return _put(call, "user")


@operation("iam", "GetUserPolicy", read_only=True)
def get_user_policy(call):
    return _get(call, "user")


@operation("iam", "DeleteUserPolicy")
def delete_user_policy(call):
    return _delete(call, "user")


@operation("iam", "ListUserPolicies", read_only=True)
def list_user_policies(call):
    return _list(call, "user")


@operation("iam", "PutGroupPolicy")
def put_group_policy(call):
    return _put(call, "group")


@operation("iam", "GetGroupPolicy", read_only=True)
def get_group_policy(call):
    return _get(call, "group")


@operation("iam", "DeleteGroupPolicy")
def delete_group_policy(call):
    return _delete(call, "group")


@operation("iam", "ListGroupPolicies", read_only=True)
def list_group_policies(call):
    return _list(call, "group")


@operation("iam", "PutRolePolicy")
def put_role_policy(call):
    return _put(call, "role")


@operation("iam", "GetRolePolicy", read_only=True)
def get_role_policy(call):
    return _get(call, "role")


@operation("iam", "DeleteRolePolicy")
def delete_role_policy(call):
    return _delete(call, "role")


@operation("iam", "ListRolePolicies", read_only=True)
def list_role_policies(call):
    return _list(call, "role")
