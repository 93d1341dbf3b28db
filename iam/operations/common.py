"""What every IAM operation shares: authorisation, entity lookup in the caller's account, ARNs, policy
documents and their limits, tags, and IsTruncated/Marker pagination.

Operations follow one order: validate the input (the dispatcher already checked botocore's model), find the
entity in the caller's own account, authorise `iam:<Action>` on its ARN, check IAM's rules, then change.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.authz import authorize_identity_action
from accounts.models import AWS_MANAGED, IamGroup, IamPolicy, IamRole, IamUser
from awsapi import errors
from policies.grammar import IDENTITY_POLICY, TRUST_POLICY
from policies.validator import validate_policy

# ----------------------------------------------------------------------------------------------------------
# Authorisation
# ----------------------------------------------------------------------------------------------------------


def authorize(call, resource_arn: str, action: str | None = None):
    """iam:<operation> on `resource_arn`, decided by the caller's own IAM policies (the root user always may)."""
    return authorize_identity_action(call, f"iam:{action or call.operation}", resource_arn)


def account_id(call) -> str:
    return call.principal.account_id


# ----------------------------------------------------------------------------------------------------------
# ARNs
# ----------------------------------------------------------------------------------------------------------

def entity_arn(account: str, kind: str, name: str, path: str = "/") -> str:
    """arn:aws:iam::<account>:<kind><path><name> (kind: user, role, group, policy)."""
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


POLICY_ARN = re.compile(r"arn:aws:iam::(?P<account>[0-9]{12}|aws):policy(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[\w+=,.@-]{1,128})")


# ----------------------------------------------------------------------------------------------------------
# Entities of the caller's account (names are unique regardless of case, as on AWS)
# ----------------------------------------------------------------------------------------------------------


def find_user(call, name: str) -> IamUser:
    user = IamUser.objects.select_related("account").filter(account_id=account_id(call), name__iexact=name).first()
    if user is None:
        raise errors.NoSuchEntityException(f"The user with name {name} cannot be found.")
    return user


def find_role(call, name: str) -> IamRole:
    role = IamRole.objects.select_related("account").filter(account_id=account_id(call), name__iexact=name).first()
    if role is None:
        raise errors.NoSuchEntityException(f"The role with name {name} cannot be found.")
    return role


def find_group(call, name: str) -> IamGroup:
    group = IamGroup.objects.select_related("account").filter(account_id=account_id(call), name__iexact=name).first()
    if group is None:
        raise errors.NoSuchEntityException(f"The group with name {name} cannot be found.")
    return group


def find_policy(call, arn: str, *, not_found: str | None = None) -> IamPolicy:
    """A managed policy by ARN: one of the caller's account, or of the AWS managed catalogue.

    Another account's policy is not found, exactly like a missing one: IAM manages one account only."""
    match = POLICY_ARN.fullmatch(arn or "")
    if match is None:
        raise errors.InvalidInputException(f"ARN {arn} is not valid.")
    owner = match["account"]
    message = not_found or f"Policy {arn} was not found."
    if owner != AWS_MANAGED and owner != account_id(call):
        raise errors.NoSuchEntityException(message)
    policy = (IamPolicy.objects.select_related("default_version")
              .filter(account_id=None if owner == AWS_MANAGED else owner, name=match["name"], path=match["path"])
              .first())
    if policy is None:
        raise errors.NoSuchEntityException(message)
    return policy


def refuse_permissions_boundary(params: dict) -> None:
    """There are no permissions boundaries here; ignoring one would leave the entity more powerful than its
    creator asked for, so it is refused."""
    if params.get("PermissionsBoundary"):
        raise errors.InvalidInputException("Permissions boundaries are not supported by this console.",
                                           field="PermissionsBoundary")


def name_taken(model, call, name: str) -> bool:
    return model.objects.filter(account_id=account_id(call), name__iexact=name).exists()


# ----------------------------------------------------------------------------------------------------------
# Policy documents
# ----------------------------------------------------------------------------------------------------------

# Characters counted against IAM's size limits: whitespace is not counted (AWS's documented rule).
_WHITESPACE = re.compile(r"\s+")
MANAGED_POLICY_MAX = 6144
INLINE_LIMITS = {"user": 2048, "group": 5120, "role": 10240}  # aggregate inline size per entity
TRUST_POLICY_MAX = 2048


def policy_size(document: str) -> int:
    return len(_WHITESPACE.sub("", document))


def check_document(document: str, policy_type: str = IDENTITY_POLICY) -> str:
    """The document, if IAM accepts it; MalformedPolicyDocument with the first grammar error otherwise."""
    findings = validate_policy(document, policy_type)
    problems = [f for f in findings if f.severity == "ERROR"]
    if problems:
        raise errors.MalformedPolicyDocumentException(problems[0].message, field="PolicyDocument")
    return document


def check_trust_policy(document: str, principal_exists=None) -> str:
    """The trust policy, if IAM accepts it. `principal_exists(arn)`, when given, is asked about every named AWS
    principal: IAM refuses a trust policy naming a user or role that does not exist."""
    if policy_size(document) > TRUST_POLICY_MAX:
        raise errors.LimitExceededException(
            f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}", field="AssumeRolePolicyDocument")
    findings = validate_policy(document, TRUST_POLICY, principal_exists=principal_exists)
    problems = [f for f in findings if f.severity == "ERROR"]
    if problems:
        raise errors.MalformedPolicyDocumentException(_trust_problem_message(document, problems[0]),
                                                      field="AssumeRolePolicyDocument")
    return document


_PRINCIPAL_ENTRY_PATH = re.compile(r"Statement(?:\[(?P<index>\d+)\])?\.(?P<element>Principal|NotPrincipal)"
                                   r"\.(?P<kind>AWS|Service|Federated|CanonicalUser)(?:\[(?P<entry>\d+)\])?")


def _trust_problem_message(document: str, finding) -> str:
    """AWS's wording for a bad principal names it, the type in capitals: Invalid principal in policy:
    "AWS":"<entry>", "SERVICE":"<entry>"."""
    match = _PRINCIPAL_ENTRY_PATH.fullmatch(finding.path) if finding.code == "INVALID_PRINCIPAL" else None
    if match is None:
        return finding.message
    statement = json.loads(document)["Statement"]
    if match["index"] is not None:
        statement = statement[int(match["index"])]
    entry = statement[match["element"]][match["kind"]]
    if match["entry"] is not None:
        entry = entry[int(match["entry"])]
    return f'Invalid principal in policy: "{match["kind"].upper()}":"{entry}"'


# ----------------------------------------------------------------------------------------------------------
# Tags ({key: value} in the database, [{"Key", "Value"}] on the wire)
# ----------------------------------------------------------------------------------------------------------

MAX_TAGS = 50


def tag_list(tags: dict | None) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in sorted((tags or {}).items())]


def merged_tags(current: dict | None, new: list[dict], what: str) -> dict:
    merged = dict(current or {})
    for tag in new:
        if tag["Key"].lower().startswith("aws:"):
            raise errors.InvalidInputException("Tag keys may not start with the reserved prefix aws:.")
        merged[tag["Key"]] = tag.get("Value", "")
    if len(merged) > MAX_TAGS:
        raise errors.LimitExceededException(f"The number of tags has reached the maximum limit for {what}.")
    return merged


def tag_entity(call, entity, what: str) -> dict:
    """TagUser / TagRole on an entity already found and authorised."""
    entity.tags = merged_tags(entity.tags, call.params["Tags"], what)
    entity.save(update_fields=["tags"])
    return {}


def untag_entity(call, entity) -> dict:
    removed = set(call.params["TagKeys"])
    entity.tags = {key: value for key, value in (entity.tags or {}).items() if key not in removed}
    entity.save(update_fields=["tags"])
    return {}


def entity_tags(call, entity) -> dict:
    page, more = paginate_list(tag_list(entity.tags), call.params)
    return {"Tags": page, **more}


# ----------------------------------------------------------------------------------------------------------
# Pagination: Marker / MaxItems -> IsTruncated / Marker, keyset on the entity's name
# ----------------------------------------------------------------------------------------------------------

DEFAULT_MAX_ITEMS = 100


def _encode_marker(value: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": value}).encode()).decode()


def _decode_marker(marker: str) -> str:
    try:
        value = json.loads(base64.urlsafe_b64decode(marker.encode()))["after"]
        if not isinstance(value, str):
            raise ValueError
        return value
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise errors.ValidationException("Invalid Marker.", field="Marker") from None


def paginate(queryset, params: dict, *, key: str = "name") -> tuple[list, dict]:
    """One page of `queryset` ordered by `key` (unique within it) for the request's Marker and MaxItems.

    One query per page, whatever the page number. Returns (page, {"IsTruncated", ["Marker"]})."""
    max_items = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    queryset = queryset.order_by(key)
    if params.get("Marker"):
        queryset = queryset.filter(**{f"{key}__gt": _decode_marker(params["Marker"])})
    window = list(queryset[:max_items + 1])
    page = window[:max_items]
    if len(window) > max_items:
        return page, {"IsTruncated": True, "Marker": _encode_marker(getattr(page[-1], key))}
    return page, {"IsTruncated": False}


def paginate_list(items: list, params: dict) -> tuple[list, dict]:
    """Pagination over an already-built list (small per-entity lists: attached policies, group members)."""
    max_items = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    start = 0
    if params.get("Marker"):
        try:
            start = int(_decode_marker(params["Marker"]))
        except ValueError:
            raise errors.ValidationException("Invalid Marker.", field="Marker") from None
    page = items[start:start + max_items]
    if start + max_items < len(items):
        return page, {"IsTruncated": True, "Marker": _encode_marker(str(start + max_items))}
    return page, {"IsTruncated": False}


# ----------------------------------------------------------------------------------------------------------
# Attachments of managed policies (an AWS managed policy is shared: each account counts only its own)
# ----------------------------------------------------------------------------------------------------------

_ATTACHMENTS = ((IamUser.managed_policies.through, "iamuser"), (IamGroup.managed_policies.through, "iamgroup"),
                (IamRole.managed_policies.through, "iamrole"))


def with_attachment_count(policies, account: str):
    """Annotate `attachment_count`: the users, groups and roles of `account` each policy is attached to."""

    def attached(through, owner: str):
        rows = (through.objects.filter(iampolicy=OuterRef("pk"), **{f"{owner}__account_id": account})
                .order_by().values("iampolicy").annotate(n=Count("*")).values("n"))
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    first, *rest = [attached(through, owner) for through, owner in _ATTACHMENTS]
    return policies.annotate(attachment_count=sum(rest, first))


def attached_in(account: str):
    """A filter: the policy is attached to at least one user, group or role of `account`."""
    exists = [Exists(through.objects.filter(iampolicy_id=OuterRef("pk"), **{f"{owner}__account_id": account}))
              for through, owner in _ATTACHMENTS]
    return exists[0] | exists[1] | exists[2]


# ----------------------------------------------------------------------------------------------------------
# Output shapes shared by several operations
# ----------------------------------------------------------------------------------------------------------


def user_shape(user: IamUser, *, tags: bool = False) -> dict:
    shape = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.unique_id,
        "Arn": user.arn,
        "CreateDate": user.created_at,
    }
    if user.password_last_used:
        shape["PasswordLastUsed"] = user.password_last_used
    if tags and user.tags:
        shape["Tags"] = tag_list(user.tags)
    return shape


def role_shape(role: IamRole, *, tags: bool = False, trust_policy: bool = True) -> dict:
    shape = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.unique_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "MaxSessionDuration": role.max_session_duration,
    }
    if trust_policy:
        shape["AssumeRolePolicyDocument"] = role.trust_policy
    if role.description:
        shape["Description"] = role.description
    if tags and role.tags:
        shape["Tags"] = tag_list(role.tags)
    return shape


def group_shape(group: IamGroup) -> dict:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.unique_id,
        "Arn": group.arn,
        "CreateDate": group.created_at,
    }


def policy_shape(policy: IamPolicy, attachment_count: int | None = None) -> dict:
    shape = {
        "PolicyName": policy.name,
        "PolicyId": policy.unique_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version.version_id if policy.default_version else "v1",
        "IsAttachable": True,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }
    if attachment_count is not None:
        shape["AttachmentCount"] = attachment_count
        shape["PermissionsBoundaryUsageCount"] = 0
    if policy.description:
        shape["Description"] = policy.description
    return shape
