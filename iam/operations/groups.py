"""IAM user groups: CreateGroup, GetGroup, ListGroups, ListGroupsForUser, AddUserToGroup, RemoveUserFromGroup,
UpdateGroup, DeleteGroup.

A group's policies count for every member user (accounts.authz gathers them); membership changes move the
state token like any other change, so the member's very next call is decided on the new membership.
"""

from __future__ import annotations

from accounts.models import IamGroup
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import (account_id, authorize, entity_arn, find_group, find_user, group_shape, name_taken,
                                   paginate, user_shape)

# IAM quota "Groups an IAM user can be a member of" (IAM User Guide, IAM and AWS STS quotas).
GROUPS_PER_USER = 10


@operation("iam", "CreateGroup")
def create_group(call):
    params = call.params
    name, path = params["GroupName"], params.get("Path", "/")
    authorize(call, entity_arn(account_id(call), "group", name, path))
    if name_taken(IamGroup, call, name):
        raise errors.EntityAlreadyExistsException(f"Group with name {name} already exists.", field="GroupName")
    group = IamGroup.objects.create(account=call.principal.account, name=name, path=path)
    call.add_resource(group.arn, group.account_id, "AWS::IAM::Group")
    return {"Group": group_shape(group)}


@operation("iam", "GetGroup", read_only=True)
def get_group(call):
    group = find_group(call, call.params["GroupName"])
    authorize(call, group.arn)
    members, more = paginate(group.members.all(), call.params)
    return {"Group": group_shape(group), "Users": [user_shape(user) for user in members], **more}


@operation("iam", "ListGroups", read_only=True)
def list_groups(call):
    prefix = call.params.get("PathPrefix", "/")
    authorize(call, entity_arn(account_id(call), "group", "*"))
    groups = IamGroup.objects.filter(account_id=account_id(call), path__startswith=prefix)
    page, more = paginate(groups, call.params)
    return {"Groups": [group_shape(group) for group in page], **more}


@operation("iam", "ListGroupsForUser", read_only=True)
def list_groups_for_user(call):
    user = find_user(call, call.params["UserName"])
    authorize(call, user.arn)
    page, more = paginate(user.groups.all(), call.params)
    return {"Groups": [group_shape(group) for group in page], **more}


@operation("iam", "AddUserToGroup")
def add_user_to_group(call):
    """Adding a member twice is not an error on AWS: the call simply changes nothing."""
    group = find_group(call, call.params["GroupName"])
    user = find_user(call, call.params["UserName"])
    authorize(call, group.arn)
    if user.groups.filter(pk=group.pk).exists():
        return {}
    if user.groups.count() >= GROUPS_PER_USER:
        raise errors.LimitExceededException(f"Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}")
    user.groups.add(group)
    return {}


@operation("iam", "RemoveUserFromGroup")
def remove_user_from_group(call):
    """Removing a user who is not a member is not an error on AWS either."""
    group = find_group(call, call.params["GroupName"])
    user = find_user(call, call.params["UserName"])
    authorize(call, group.arn)
    user.groups.remove(group)
    return {}


@operation("iam", "UpdateGroup")
def update_group(call):
    params = call.params
    group = find_group(call, params["GroupName"])
    authorize(call, group.arn)
    new_name = params.get("NewGroupName")
    if new_name and new_name.lower() != group.name.lower() and name_taken(IamGroup, call, new_name):
        raise errors.EntityAlreadyExistsException(f"Group with name {new_name} already exists.",
                                                  field="NewGroupName")
    group.name = new_name or group.name
    group.path = params.get("NewPath") or group.path
    group.save(update_fields=["name", "path"])
    return {}


@operation("iam", "DeleteGroup")
def delete_group(call):
    group = find_group(call, call.params["GroupName"])
    authorize(call, group.arn)
    # AWS words each conflict for what must go first: members removed, managed policies detached, inline
    # policies deleted.
    if group.members.exists():
        raise errors.DeleteConflictException("Cannot delete entity, must remove users from group first.")
    if group.managed_policies.exists():
        raise errors.DeleteConflictException("Cannot delete entity, must detach all policies first.")
    if group.inline_policies.exists():
        raise errors.DeleteConflictException("Cannot delete entity, must delete policies first.")
    group.delete()
    return {}
