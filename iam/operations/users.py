"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import IamUser
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import (account_id, authorize, entity_arn, find_user, merged_tags, name_taken, paginate,
                                   paginate_list, tag_list, user_shape)


@operation("iam", "CreateUser")
def create_user(call):
    params = call.params
    name, path = params["UserName"], params.get("Path", "/")
    authorize(call, entity_arn(account_id(call), "user", name, path))
    if name_taken(IamUser, call, name):
        raise errors.EntityAlreadyExistsException(f"User with name {name} already exists.", field="UserName")
    tags = merged_tags({}, params.get("Tags", []), "the user")
    user = IamUser.objects.create(account=call.principal.account, name=name, path=path, tags=tags)
    call.add_resource(user.arn, user.account_id, "AWS::IAM::User")
    return {"User": user_shape(user, tags=True)}


@operation("iam", "GetUser", read_only=True)
def get_user(call):
    """Without UserName: the calling IAM user (or, for the root user, the account itself)."""
    name = call.params.get("UserName")
    principal = call.principal
    if name is None:
        if principal.kind == "Root":
            authorize(call, principal.arn)
            return {"User": {"UserId": principal.account_id, "Arn": principal.arn, "CreateDate": principal.account.created_at,
                             "Path": "/", "UserName": ""}}
        if principal.user is None:
            raise errors.ValidationException("Must specify userName when calling with non-User credentials")
        name = principal.user.name
    user = find_user(call, name)
    authorize(call, user.arn)
    return {"User": user_shape(user, tags=True)}


@operation("iam", "ListUsers", read_only=True)
def list_users(call):
    prefix = call.params.get("PathPrefix", "/")
    authorize(call, entity_arn(account_id(call), "user", "*"))
    users = IamUser.objects.filter(account_id=account_id(call), path__startswith=prefix)
    page, more = paginate(users, call.params)
    return {"Users": [user_shape(user) for user in page], **more}


@operation("iam", "UpdateUser")
def update_user(call):
    params = call.params
    user = find_user(call, params["UserName"])
    authorize(call, user.arn)
    new_name = params.get("NewUserName")
    if new_name and new_name.lower() != user.name.lower() and name_taken(IamUser, call, new_name):
        raise errors.EntityAlreadyExistsException(f"User with name {new_name} already exists.", field="NewUserName")
    user.name = new_name or user.name
    user.path = params.get("NewPath") or user.path
    user.save(update_fields=["name", "path"])
    return {}


@operation("iam", "DeleteUser")
def delete_user(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    attached = [
        ("access keys", user.access_keys.filter(session__isnull=True, expires_at__isnull=True).exists()),
        ("policies", user.inline_policies.exists() or user.managed_policies.exists()),
        ("groups", user.groups.exists()),
        ("login profile", user.has_login_profile),
    ]
    for what, present in attached:
        if present:
            raise errors.DeleteConflictException(f"Cannot delete entity, must {_remove_first(what)} first.")
    user.delete()
    return {}


def _remove_first(what: str) -> str:
    return {
        "access keys": "delete access keys",
        "policies": "delete policies",
        "groups": "remove users from group",
        "login profile": "delete login profile",
    }[what]


@operation("iam", "TagUser")
def tag_user(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    user.tags = merged_tags(user.tags, call.params["Tags"], "the user")
    user.save(update_fields=["tags"])
    return {}


@operation("iam", "UntagUser")
def untag_user(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    user.tags = {k: v for k, v in (user.tags or {}).items() if k not in set(call.params["TagKeys"])}
    user.save(update_fields=["tags"])
    return {}


@operation("iam", "ListUserTags", read_only=True)
def list_user_tags(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    page, more = paginate_list(tag_list(user.tags), call.params)
    return {"Tags": page, **more}


def touch_password_used(user: IamUser) -> None:
    """Console sign-in records when the password was last used (GetUser's PasswordLastUsed)."""
    IamUser.objects.filter(pk=user.pk).update(password_last_used=timezone.now())
