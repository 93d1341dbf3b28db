"""IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy, DeleteRole, TagRole, UntagRole,
ListRoleTags.

The trust policy (AssumeRolePolicyDocument) is what STS AssumeRole reads; a change to it moves the state token,
so the very next AssumeRole is decided on the new document.
"""

from __future__ import annotations

import re

from accounts.models import Account, IamRole, IamUser
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import (account_id, authorize, check_trust_policy, entity_arn, entity_tags, find_role,
                                   merged_tags, name_taken, paginate, refuse_permissions_boundary, role_shape,
                                   tag_entity, untag_entity)

_USER_OR_ROLE_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):(?P<kind>user|role)(?P<path>/(?:.*/)?)(?P<name>[^/]+)")


def trusted_principal_exists(arn: str) -> bool:
    """IAM refuses a trust policy that names a user or role that does not exist. Only accounts emulated here can
    be asked: a principal of any other account, account roots and sessions are taken as named."""
    match = _USER_OR_ROLE_ARN.fullmatch(arn)
    if match is None or not Account.objects.filter(pk=match["account"]).exists():
        return True
    model = IamUser if match["kind"] == "user" else IamRole
    return model.objects.filter(account_id=match["account"], path=match["path"], name=match["name"]).exists()


@operation("iam", "CreateRole")
def create_role(call):
    params = call.params
    name, path = params["RoleName"], params.get("Path", "/")
    authorize(call, entity_arn(account_id(call), "role", name, path))
    if name_taken(IamRole, call, name):
        raise errors.EntityAlreadyExistsException(f"Role with name {name} already exists.", field="RoleName")
    refuse_permissions_boundary(params)
    trust_policy = check_trust_policy(params["AssumeRolePolicyDocument"], trusted_principal_exists)
    tags = merged_tags({}, params.get("Tags", []), "the role")
    role = IamRole.objects.create(
        account=call.principal.account, name=name, path=path, trust_policy=trust_policy,
        description=params.get("Description", ""), max_session_duration=params.get("MaxSessionDuration", 3600),
        tags=tags,
    )
    call.add_resource(role.arn, role.account_id, "AWS::IAM::Role")
    return {"Role": role_shape(role, tags=True)}


@operation("iam", "GetRole", read_only=True)
def get_role(call):
    role = find_role(call, call.params["RoleName"])
    authorize(call, role.arn)
    # Roles are not tracked as used here: AWS answers an empty RoleLastUsed for a role never used.
    return {"Role": {**role_shape(role, tags=True), "RoleLastUsed": {}}}


@operation("iam", "ListRoles", read_only=True)
def list_roles(call):
    """AWS's ListRoles leaves out Tags (and RoleLastUsed): GetRole or ListRoleTags give them."""
    prefix = call.params.get("PathPrefix", "/")
    authorize(call, entity_arn(account_id(call), "role", "*"))
    roles = IamRole.objects.filter(account_id=account_id(call), path__startswith=prefix)
    page, more = paginate(roles, call.params)
    return {"Roles": [role_shape(role) for role in page], **more}


@operation("iam", "UpdateRole")
def update_role(call):
    params = call.params
    role = find_role(call, params["RoleName"])
    authorize(call, role.arn)
    if "Description" in params:
        role.description = params["Description"]
    if "MaxSessionDuration" in params:
        role.max_session_duration = params["MaxSessionDuration"]
    role.save(update_fields=["description", "max_session_duration"])
    return {}


@operation("iam", "UpdateAssumeRolePolicy")
def update_assume_role_policy(call):
    role = find_role(call, call.params["RoleName"])
    authorize(call, role.arn)
    role.trust_policy = check_trust_policy(call.params["PolicyDocument"], trusted_principal_exists)
    role.save(update_fields=["trust_policy"])
    return {}


@operation("iam", "DeleteRole")
def delete_role(call):
    role = find_role(call, call.params["RoleName"])
    authorize(call, role.arn)
    # AWS: attached managed policies must be detached, inline ones deleted, each with its own wording.
    if role.managed_policies.exists():
        raise errors.DeleteConflictException("Cannot delete entity, must detach all policies first.")
    if role.inline_policies.exists():
        raise errors.DeleteConflictException("Cannot delete entity, must delete policies first.")
    role.delete()
    return {}


@operation("iam", "TagRole")
def tag_role(call):
    role = find_role(call, call.params["RoleName"])
    authorize(call, role.arn)
    return tag_entity(call, role, "the role")


@operation("iam", "UntagRole")
def untag_role(call):
    role = find_role(call, call.params["RoleName"])
    authorize(call, role.arn)
    return untag_entity(call, role)


@operation("iam", "ListRoleTags", read_only=True)
def list_role_tags(call):
    role = find_role(call, call.params["RoleName"])
    authorize(call, role.arn)
    return entity_tags(call, role)
