"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags."""

from __future__ import annotations

from accounts.models import IamUser
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import (account_id, authorize, entity_arn, entity_tags, find_user, merged_tags, name_taken,
                                   paginate, refuse_permissions_boundary, tag_entity, untag_entity, user_shape)

# AWS's answer when an operation that defaults to "the calling user" is called by a role session.
NON_USER_CREDENTIALS = "Must specify userName when calling with non-User credentials"


def calling_user_name(call) -> str:
    """The user an operation means when the request names none: the calling IAM user (ValidationError for
    role sessions; the root user is handled by each operation, as its meaning differs)."""
    if call.principal.user is None:
        raise errors.ValidationException(NON_USER_CREDENTIALS, field="UserName")
    return call.principal.user.name


@operation("iam", "CreateUser")
def create_user(call):
    params = call.params
    name, path = params["UserName"], params.get("Path", "/")
    authorize(call, entity_arn(account_id(call), "user", name, path))
    if name_taken(IamUser, call, name):
        raise errors.EntityAlreadyExistsException(f"User with name {name} already exists.", field="UserName")
    refuse_permissions_boundary(params)
    tags = merged_tags({}, params.get("Tags", []), "the user")
    user = IamUser.objects.create(account=call.principal.account, name=name, path=path, tags=tags)
    call.add_resource(user.arn, user.account_id, "AWS::IAM::User")
    return {"User": user_shape(user, tags=True)}


@operation("iam", "GetUser", read_only=True)
def get_user(call):
    """Without UserName: the calling IAM user; for the root user, the account itself (AWS answers with the
    account id as UserId and the root ARN, and no UserName or Path)."""
    name = call.params.get("UserName")
    principal = call.principal
    if name is None and principal.kind == "Root":
        authorize(call, principal.arn)
        return {"User": {"UserId": principal.account_id, "Arn": principal.arn,
                         "CreateDate": principal.account.created_at}}
    user = find_user(call, name or calling_user_name(call))
    authorize(call, user.arn)
    return {"User": user_shape(user, tags=True)}


@operation("iam", "ListUsers", read_only=True)
def list_users(call):
    # AWS decides iam:ListUsers on the path's ARN (its denials name arn:aws:iam::<account>:user/ for
    # the default prefix), so "*" and user/* both allow it.
    prefix = call.params.get("PathPrefix", "/")
    authorize(call, entity_arn(account_id(call), "user", "", prefix))
    users = IamUser.objects.filter(account_id=account_id(call), path__startswith=prefix)
    page, more = paginate(users, call.params)
    return {"Users": [user_shape(user) for user in page], **more}


@operation("iam", "UpdateUser")
def update_user(call):
    """Rename and/or move a user. As on AWS, a rename needs the permission on both the old and the new ARN."""
    params = call.params
    user = find_user(call, params["UserName"])
    authorize(call, user.arn)
    new_name = params.get("NewUserName") or user.name
    new_path = params.get("NewPath") or user.path
    new_arn = entity_arn(user.account_id, "user", new_name, new_path)
    if new_arn != user.arn:
        authorize(call, new_arn)
    if new_name.lower() != user.name.lower() and name_taken(IamUser, call, new_name):
        raise errors.EntityAlreadyExistsException(f"User with name {new_name} already exists.", field="NewUserName")
    user.name, user.path = new_name, new_path
    user.save(update_fields=["name", "path"])
    return {}


# What DeleteUser refuses to leave behind, in the order AWS's documentation lists it, with AWS's messages.
_DELETE_CONFLICTS = (
    ("login profile", "Cannot delete entity, must delete login profile first."),
    ("access keys", "Cannot delete entity, must delete access keys first."),
    ("inline policies", "Cannot delete entity, must delete policies first."),
    ("managed policies", "Cannot delete entity, must detach all policies first."),
    ("groups", "Cannot delete entity, must remove users from group first."),
)


@operation("iam", "DeleteUser")
def delete_user(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    present = {
        "login profile": user.has_login_profile,
        # Long-term keys only: GetSessionToken keys (ASIA) expire and go with the user.
        "access keys": user.access_keys.filter(session__isnull=True, expires_at__isnull=True).exists(),
        "inline policies": user.inline_policies.exists(),
        "managed policies": user.managed_policies.exists(),
        "groups": user.groups.exists(),
    }
    for what, message in _DELETE_CONFLICTS:
        if present[what]:
            raise errors.DeleteConflictException(message)
    user.delete()
    return {}


@operation("iam", "TagUser")
def tag_user(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    return tag_entity(call, user, "the user")


@operation("iam", "UntagUser")
def untag_user(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    return untag_entity(call, user)


@operation("iam", "ListUserTags", read_only=True)
def list_user_tags(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    return entity_tags(call, user)
