"""The account: CreateAccountAlias, DeleteAccountAlias, ListAccountAliases, GetAccountAuthorizationDetails."""

from __future__ import annotations

import base64
import binascii
import json

from django.db.models import Prefetch

from accounts.models import Account, IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyVersion
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import (DEFAULT_MAX_ITEMS, account_id, attached_in, authorize, group_shape,
                                   paginate_list, policy_shape, role_shape, tag_list, user_shape,
                                   with_attachment_count)

# ----------------------------------------------------------------------------------------------------------
# Account alias: one per account, unique across all accounts (CreateAccountAlias replaces the current one)
# ----------------------------------------------------------------------------------------------------------


@operation("iam", "CreateAccountAlias")
def create_account_alias(call):
    alias = call.params["AccountAlias"]
    authorize(call, "*")
    if Account.objects.filter(alias=alias).exists():
        raise errors.EntityAlreadyExistsException(f"The account alias {alias} already exists.", field="AccountAlias")
    account = Account.objects.get(pk=account_id(call))
    account.alias = alias
    account.save(update_fields=["alias"])
    return {}


@operation("iam", "DeleteAccountAlias")
def delete_account_alias(call):
    alias = call.params["AccountAlias"]
    authorize(call, "*")
    account = Account.objects.get(pk=account_id(call))
    if account.alias != alias:
        raise errors.NoSuchEntityException(f"The account alias {alias} cannot be found.", field="AccountAlias")
    account.alias = None
    account.save(update_fields=["alias"])
    return {}


@operation("iam", "ListAccountAliases", read_only=True)
def list_account_aliases(call):
    authorize(call, "*")
    alias = Account.objects.filter(pk=account_id(call)).values_list("alias", flat=True).first()
    page, more = paginate_list([alias] if alias else [], call.params)
    return {"AccountAliases": page, **more}


# ----------------------------------------------------------------------------------------------------------
# GetAccountAuthorizationDetails
#
# One listing in a fixed order of sections (users, groups, roles, customer managed policies, AWS managed
# policies), each by name; MaxItems counts entities across sections and the Marker names the section and
# the last name given. Each section is one query plus one per related list (prefetch_related), so a page
# costs the same number of queries whatever the number of entities.
# ----------------------------------------------------------------------------------------------------------

USER, GROUP, ROLE, LOCAL_POLICY, AWS_POLICY = "User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"
SECTIONS = (USER, GROUP, ROLE, LOCAL_POLICY, AWS_POLICY)


def _inline_and_managed() -> tuple[Prefetch, Prefetch]:
    """The policies every user, group and role lists: its inline ones and the names and ARNs of its managed ones."""
    inline = InlinePolicy.objects.only("name", "document", "user", "group", "role")
    return (Prefetch("inline_policies", queryset=inline),
            Prefetch("managed_policies", queryset=IamPolicy.objects.only("name", "path", "account")))


def _encode_marker(section: str, name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"section": section, "after": name}).encode()).decode()


def _decode_marker(marker: str) -> tuple[str, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(marker.encode()))
        section, name = value["section"], value["after"]
        if section not in SECTIONS or not isinstance(name, str):
            raise ValueError
        return section, name
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise errors.ValidationException("Invalid Marker.", field="Marker") from None


def _policies(account: str, *, aws_managed: bool):
    # AWS managed policies appear only where this account uses them, and count only its attachments.
    policies = (IamPolicy.objects.filter(account__isnull=True).filter(attached_in(account)) if aws_managed
                else IamPolicy.objects.filter(account_id=account))
    return (with_attachment_count(policies.select_related("default_version"), account)
            .prefetch_related(Prefetch("versions", queryset=PolicyVersion.objects.order_by("-created_at", "-id"))))


def _section_query(section: str, account: str):
    if section == USER:
        return IamUser.objects.filter(account_id=account).prefetch_related(
            *_inline_and_managed(), Prefetch("groups", queryset=IamGroup.objects.only("name")))
    if section == GROUP:
        return IamGroup.objects.filter(account_id=account).prefetch_related(*_inline_and_managed())
    if section == ROLE:
        return IamRole.objects.filter(account_id=account).prefetch_related(*_inline_and_managed())
    return _policies(account, aws_managed=section == AWS_POLICY)


def _inline(entity) -> list[dict]:
    return [{"PolicyName": p.name, "PolicyDocument": p.document} for p in entity.inline_policies.all()]


def _attached(entity) -> list[dict]:
    return [{"PolicyName": p.name, "PolicyArn": p.arn} for p in entity.managed_policies.all()]


def _user_detail(user: IamUser) -> dict:
    detail = {**user_shape(user), "UserPolicyList": _inline(user),
              "GroupList": [group.name for group in user.groups.all()], "AttachedManagedPolicies": _attached(user)}
    detail.pop("PasswordLastUsed", None)  # not a member of UserDetail
    if user.tags:
        detail["Tags"] = tag_list(user.tags)
    return detail


def _group_detail(group: IamGroup) -> dict:
    return {**group_shape(group), "GroupPolicyList": _inline(group), "AttachedManagedPolicies": _attached(group)}


def _role_detail(role: IamRole) -> dict:
    detail = {**role_shape(role, tags=True), "InstanceProfileList": [], "RolePolicyList": _inline(role),
              "AttachedManagedPolicies": _attached(role), "RoleLastUsed": {}}
    detail.pop("Description", None)  # RoleDetail has no Description
    detail.pop("MaxSessionDuration", None)  # nor MaxSessionDuration
    return detail


def _policy_detail(policy: IamPolicy) -> dict:
    detail = policy_shape(policy, policy.attachment_count)
    detail["PolicyVersionList"] = [
        {"Document": version.document, "VersionId": version.version_id,
         "IsDefaultVersion": version.pk == policy.default_version_id, "CreateDate": version.created_at}
        for version in policy.versions.all()
    ]
    return detail


_DETAILS = {USER: ("UserDetailList", _user_detail), GROUP: ("GroupDetailList", _group_detail),
            ROLE: ("RoleDetailList", _role_detail), LOCAL_POLICY: ("Policies", _policy_detail),
            AWS_POLICY: ("Policies", _policy_detail)}


@operation("iam", "GetAccountAuthorizationDetails", read_only=True)
def get_account_authorization_details(call):
    authorize(call, "*")
    account = account_id(call)
    wanted = set(call.params.get("Filter") or SECTIONS)
    max_items = call.params.get("MaxItems") or DEFAULT_MAX_ITEMS
    start_section, after = _decode_marker(call.params["Marker"]) if call.params.get("Marker") else (SECTIONS[0], None)

    # One entity more than the page holds tells whether the listing goes on.
    window: list[tuple[str, object]] = []
    for section in SECTIONS[SECTIONS.index(start_section):]:
        if section not in wanted or len(window) > max_items:
            continue
        rows = _section_query(section, account).order_by("name")
        if section == start_section and after is not None:
            rows = rows.filter(name__gt=after)
        window += [(section, row) for row in rows[:max_items + 1 - len(window)]]

    result = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    for section, entity in window[:max_items]:
        member, detail = _DETAILS[section]
        result[member].append(detail(entity))
    if len(window) > max_items:
        last_section, last = window[max_items - 1]
        return {**result, "IsTruncated": True, "Marker": _encode_marker(last_section, last.name)}
    return {**result, "IsTruncated": False}
