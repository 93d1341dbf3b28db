"""Managed policies: customer managed policies and their versions, the read-only AWS managed catalogue, and
their attachment to users, groups and roles.

CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
DeletePolicyVersion, SetDefaultPolicyVersion, ListEntitiesForPolicy, Attach/Detach{User,Group,Role}Policy and
ListAttached{User,Group,Role}Policies.

A policy's documents are its versions (v1, v2, ...; at most five, ids never reused); the default version is
the one every decision reads (accounts/authz.py loads default_version__document of each attached policy).
"""

from __future__ import annotations

from django.db.models import Q, Value
from django.db.models.functions import Concat

from accounts.models import IamPolicy, PolicyVersion
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import (attached_in, with_attachment_count, MANAGED_POLICY_MAX, account_id, authorize, check_document, entity_arn, find_group,
                                   find_policy, find_role, find_user, paginate, paginate_list, policy_shape,
                                   policy_size)
from kmsconsole import statecache

MAX_VERSIONS = 5
MAX_ATTACHED_POLICIES = 10  # managed policies per user, group and role (AWS's default quota)


# ----------------------------------------------------------------------------------------------------------
# Shared rules
# ----------------------------------------------------------------------------------------------------------


def _check_managed_document(document: str) -> str:
    # Whitespace does not count towards the size, as on AWS.
    if policy_size(document) > MANAGED_POLICY_MAX:
        raise errors.LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}",
                                            field="PolicyDocument")
    return check_document(document)


def _changeable_policy(call, arn: str) -> IamPolicy:
    """A policy of the caller's account that the caller may change. AWS managed policies belong to AWS:
    no account's IAM can delete or version them, whatever its own policies allow."""
    policy = find_policy(call, arn)
    authorize(call, policy.arn)
    if policy.aws_managed:
        action = f"iam:{call.operation}"
        raise errors.AccessDeniedException(
            f"User: {call.principal.arn} is not authorized to perform: {action} on resource: {policy.arn} "
            f"because no resource-based policy allows the {action} action")
    return policy


def _find_version(policy: IamPolicy, version_id: str) -> PolicyVersion:
    version = policy.versions.filter(version_id=version_id).first()
    if version is None:
        raise errors.NoSuchEntityException(
            f"Policy {policy.arn} version {version_id} does not exist or is not attachable.", field="VersionId")
    return version


def _version_number(version: PolicyVersion) -> int:
    return int(version.version_id[1:])


def _version_shape(policy: IamPolicy, version: PolicyVersion, *, document: bool) -> dict:
    shape = {"VersionId": version.version_id, "IsDefaultVersion": version.pk == policy.default_version_id,
             "CreateDate": version.created_at}
    if document:
        shape["Document"] = version.document
    return shape


def _attachment_count(policy: IamPolicy, account: str) -> int:
    return with_attachment_count(IamPolicy.objects.filter(pk=policy.pk), account).values_list(
        "attachment_count", flat=True).get()


# ----------------------------------------------------------------------------------------------------------
# Policies
# ----------------------------------------------------------------------------------------------------------


@operation("iam", "CreatePolicy")
def create_policy(call):
    """Tags are not kept: IamPolicy has no tags column yet."""
    params = call.params
    name, path = params["PolicyName"], params.get("Path", "/")
    arn = entity_arn(account_id(call), "policy", name, path)
    authorize(call, arn)
    if IamPolicy.objects.filter(account_id=account_id(call), name__iexact=name).exists():
        raise errors.EntityAlreadyExistsException(
            f"A policy called {name} already exists. Duplicate names are not allowed.", field="PolicyName")
    document = _check_managed_document(params["PolicyDocument"])
    policy = IamPolicy.create_with_document(document=document, account=call.principal.account, name=name,
                                            path=path, description=params.get("Description", ""))
    # A new policy's UpdateDate and its v1's CreateDate are its CreateDate, to the instant, as on AWS.
    IamPolicy.objects.filter(pk=policy.pk).update(updated_at=policy.created_at)
    PolicyVersion.objects.filter(pk=policy.default_version_id).update(created_at=policy.created_at)
    policy.updated_at = policy.default_version.created_at = policy.created_at
    call.add_resource(policy.arn, policy.account_id, "AWS::IAM::Policy")
    return {"Policy": policy_shape(policy, attachment_count=0)}


@operation("iam", "GetPolicy", read_only=True)
def get_policy(call):
    policy = find_policy(call, call.params["PolicyArn"])
    authorize(call, policy.arn)
    return {"Policy": policy_shape(policy, attachment_count=_attachment_count(policy, account_id(call)))}


@operation("iam", "ListPolicies", read_only=True)
def list_policies(call):
    """Scope: All (default), AWS (the catalogue) or Local (the caller's account). OnlyAttached: attached to a
    user, group or role of the caller's account. Two queries per page: the page, then its attachment counts."""
    params = call.params
    account = account_id(call)
    authorize(call, entity_arn(account, "policy", "*"))
    scope = params.get("Scope", "All")
    in_scope = {"AWS": Q(account__isnull=True), "Local": Q(account_id=account),
                "All": Q(account__isnull=True) | Q(account_id=account)}[scope]
    policies = IamPolicy.objects.filter(in_scope, path__startswith=params.get("PathPrefix", "/"))
    if params.get("OnlyAttached"):
        policies = policies.filter(attached_in(account))
    if params.get("PolicyUsageFilter") == "PermissionsBoundary":
        policies = policies.none()  # no policy is used as a permissions boundary here
    # An AWS managed policy and a customer managed one may share a name: the id makes the order total.
    policies = policies.annotate(listing_key=Concat("name", Value(" "), "unique_id")).select_related("default_version")
    page, more = paginate(policies, params, key="listing_key")
    # Counted for the page only (one query): counting in the listing query counted every policy before the sort.
    counts = dict(with_attachment_count(IamPolicy.objects.filter(pk__in=[p.pk for p in page]), account)
                  .values_list("pk", "attachment_count"))
    shapes = [policy_shape(policy, attachment_count=counts[policy.pk]) for policy in page]
    for shape in shapes:
        shape.pop("Description", None)  # ListPolicies leaves the description out, as on AWS
    return {"Policies": shapes, **more}


@operation("iam", "DeletePolicy")
def delete_policy(call):
    policy = _changeable_policy(call, call.params["PolicyArn"])
    if policy.users.exists() or policy.groups.exists() or policy.roles.exists():
        raise errors.DeleteConflictException("Cannot delete a policy attached to entities.")
    if policy.versions.count() > 1:
        raise errors.DeleteConflictException(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's "
            "versions. The default version is deleted with the policy.")
    policy.delete()
    return {}


# ----------------------------------------------------------------------------------------------------------
# Versions
# ----------------------------------------------------------------------------------------------------------


@operation("iam", "CreatePolicyVersion")
def create_policy_version(call):
    params = call.params
    policy = _changeable_policy(call, params["PolicyArn"])
    # Serialise version creation per policy: the count and the version counter are read, then written.
    policy = IamPolicy.objects.select_for_update().get(pk=policy.pk)
    document = _check_managed_document(params["PolicyDocument"])
    existing = list(policy.versions.all())
    if len(existing) >= MAX_VERSIONS:
        raise errors.LimitExceededException(
            f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, you must "
            "delete an existing version.")
    # The counter, unless versions were written around it (the admin, fixtures): ids are never reused.
    number = max([policy.next_version_number] + [_version_number(version) + 1 for version in existing])
    version = PolicyVersion.objects.create(policy=policy, version_id=f"v{number}", document=document)
    # UpdateDate is when the newest version was created, default or not (AWS's definition).
    changes = {"next_version_number": number + 1, "updated_at": version.created_at}
    if params.get("SetAsDefault"):
        changes["default_version"] = version
    IamPolicy.objects.filter(pk=policy.pk).update(**changes)
    statecache.bump()  # update() sends no signal, and a new default changes decisions
    return {"PolicyVersion": {"VersionId": version.version_id, "IsDefaultVersion": bool(params.get("SetAsDefault")),
                              "CreateDate": version.created_at}}


@operation("iam", "GetPolicyVersion", read_only=True)
def get_policy_version(call):
    policy = find_policy(call, call.params["PolicyArn"])
    authorize(call, policy.arn)
    version = _find_version(policy, call.params["VersionId"])
    return {"PolicyVersion": _version_shape(policy, version, document=True)}


@operation("iam", "ListPolicyVersions", read_only=True)
def list_policy_versions(call):
    policy = find_policy(call, call.params["PolicyArn"])
    authorize(call, policy.arn)
    versions = sorted(policy.versions.all(), key=_version_number, reverse=True)  # newest first, as on AWS
    page, more = paginate_list(versions, call.params)
    return {"Versions": [_version_shape(policy, version, document=False) for version in page], **more}


@operation("iam", "DeletePolicyVersion")
def delete_policy_version(call):
    policy = _changeable_policy(call, call.params["PolicyArn"])
    version = _find_version(policy, call.params["VersionId"])
    if version.pk == policy.default_version_id:
        raise errors.DeleteConflictException("Cannot delete the default version of a policy.", field="VersionId")
    version.delete()
    return {}


@operation("iam", "SetDefaultPolicyVersion")
def set_default_policy_version(call):
    policy = _changeable_policy(call, call.params["PolicyArn"])
    policy.default_version = _find_version(policy, call.params["VersionId"])
    policy.save(update_fields=["default_version"])  # UpdateDate stays: no version was created
    return {}


# ----------------------------------------------------------------------------------------------------------
# Attachments
# ----------------------------------------------------------------------------------------------------------

# kind -> (how to find one of the caller's entities by name, the quota AWS names when it is full)
_ENTITY_KINDS = {
    "User": (find_user, "PoliciesPerUser"),
    "Group": (find_group, "PoliciesPerGroup"),
    "Role": (find_role, "PoliciesPerRole"),
}


def _entity(call, kind: str):
    find, _quota = _ENTITY_KINDS[kind]
    entity = find(call, call.params[f"{kind}Name"])
    authorize(call, entity.arn)
    return entity


def _attach(call, kind: str) -> dict:
    entity = _entity(call, kind)
    arn = call.params["PolicyArn"]
    policy = find_policy(call, arn, not_found=f"Policy {arn} does not exist or is not attachable.")
    # Serialise attachments per entity: the count below must see every other attachment being made.
    type(entity).objects.select_for_update().only("pk").get(pk=entity.pk)
    attached = entity.managed_policies
    if attached.filter(pk=policy.pk).exists():
        return {}  # attaching again changes nothing and is not an error on AWS
    if attached.count() >= MAX_ATTACHED_POLICIES:
        raise errors.LimitExceededException(
            f"Cannot exceed quota for {_ENTITY_KINDS[kind][1]}: {MAX_ATTACHED_POLICIES}")
    attached.add(policy)
    return {}


def _detach(call, kind: str) -> dict:
    entity = _entity(call, kind)
    policy = find_policy(call, call.params["PolicyArn"])
    if not entity.managed_policies.filter(pk=policy.pk).exists():
        raise errors.NoSuchEntityException(f"Policy {policy.arn} was not attached.", field="PolicyArn")
    entity.managed_policies.remove(policy)
    return {}


def _list_attached(call, kind: str) -> dict:
    entity = _entity(call, kind)
    policies = entity.managed_policies.filter(path__startswith=call.params.get("PathPrefix", "/"))
    ordered = sorted(policies, key=lambda policy: (policy.name, policy.arn))
    page, more = paginate_list(ordered, call.params)
    return {"AttachedPolicies": [{"PolicyName": policy.name, "PolicyArn": policy.arn} for policy in page], **more}


@operation("iam", "AttachUserPolicy")
def attach_user_policy(call):
    return _attach(call, "User")


@operation("iam", "AttachGroupPolicy")
def attach_group_policy(call):
    return _attach(call, "Group")


@operation("iam", "AttachRolePolicy")
def attach_role_policy(call):
    return _attach(call, "Role")


@operation("iam", "DetachUserPolicy")
def detach_user_policy(call):
    return _detach(call, "User")


@operation("iam", "DetachGroupPolicy")
def detach_group_policy(call):
    return _detach(call, "Group")


@operation("iam", "DetachRolePolicy")
def detach_role_policy(call):
    return _detach(call, "Role")


@operation("iam", "ListAttachedUserPolicies", read_only=True)
def list_attached_user_policies(call):
    return _list_attached(call, "User")


@operation("iam", "ListAttachedGroupPolicies", read_only=True)
def list_attached_group_policies(call):
    return _list_attached(call, "Group")


@operation("iam", "ListAttachedRolePolicies", read_only=True)
def list_attached_role_policies(call):
    return _list_attached(call, "Role")


@operation("iam", "ListEntitiesForPolicy", read_only=True)
def list_entities_for_policy(call):
    """The caller's account's groups, users and roles the policy is attached to (in that order across pages).
    EntityFilter LocalManagedPolicy / AWSManagedPolicy name no entity a policy is attached to: empty lists."""
    params = call.params
    policy = find_policy(call, params["PolicyArn"])
    authorize(call, policy.arn)
    wanted = params.get("EntityFilter")
    if params.get("PolicyUsageFilter") == "PermissionsBoundary":
        wanted = "none"  # no policy is used as a permissions boundary here
    prefix, account = params.get("PathPrefix", "/"), account_id(call)
    entities = []
    for kind, related in (("Group", policy.groups), ("User", policy.users), ("Role", policy.roles)):
        if wanted in (None, kind):
            entities += [(kind, entity) for entity in related.filter(account_id=account, path__startswith=prefix)
                         .order_by("name")]
    page, more = paginate_list(entities, params)
    return {
        "PolicyGroups": [{"GroupName": e.name, "GroupId": e.unique_id} for kind, e in page if kind == "Group"],
        "PolicyUsers": [{"UserName": e.name, "UserId": e.unique_id} for kind, e in page if kind == "User"],
        "PolicyRoles": [{"RoleName": e.name, "RoleId": e.unique_id} for kind, e in page if kind == "Role"],
        **more,
    }
