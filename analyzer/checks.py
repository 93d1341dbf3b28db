"""IAM Access Analyzer's custom policy checks, answered by our policy engine.

A check compares what policies allow without attaching them anywhere, so it reasons with *witnesses*:
concrete requests built from each statement (a principal it names, an action it covers, a resource it
names, and condition values that satisfy it). A policy allows a witness when `policies.engine.policy_allows`
says so, which is the same statement matching every real call goes through.

- CheckNoNewAccess: FAIL when a witness of either policy is allowed by the new policy but not by the
  existing one (witnesses of the existing policy catch a Deny that was removed).
- CheckAccessNotGranted: FAIL when the policy allows one of the listed actions on one of the listed
  resources to some principal it names.
- CheckNoPublicAccess: FAIL when a statement allows anyone (`*` or NotPrincipal) without a condition
  that limits the caller to known accounts, organisations or networks.

Like AWS's, a FAIL means the policy *might* grant the access: a statement whose conditions we cannot
satisfy with concrete values is treated as granting it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies.actions import KMS_ACTIONS, OTHER_KNOWN_ACTIONS
from policies.engine import AccessRequest, Caller, policy_allows
from policies.grammar import Policy, Statement

KNOWN_ACTIONS = KMS_ACTIONS + OTHER_KNOWN_ACTIONS
# Values no real policy names: the principal behind "*", an identity policy's holder, any resource.
_ANYONE_ACCOUNT = "000000000000"
_HOLDER = Caller(arn=f"arn:aws:iam::{_ANYONE_ACCOUNT}:user/PolicyHolder", account=_ANYONE_ACCOUNT,
                 kind="IAMUser", user_id="AIDAPOLICYHOLDER", username="PolicyHolder")
_ANY_KEY = f"arn:aws:kms:us-east-1:{_ANYONE_ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
_UNLISTED_ACTION = "unlisted:Action"
_REGION = "us-east-1"

# Condition keys that tie a wildcard principal to known callers (Access Analyzer's notion of "not public").
_LIMITING_KEYS = frozenset(key.lower() for key in (
    "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceAccount",
    "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp",
    "aws:userid", "aws:username", "kms:CallerAccount", "aws:SourceOwner",
))
_POSITIVE_OPERATORS = ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress")


@dataclass(frozen=True)
class Reason:
    description: str
    statement_index: int
    statement_id: str | None

    def to_shape(self) -> dict:
        shape = {"description": self.description, "statementIndex": self.statement_index}
        if self.statement_id:
            shape["statementId"] = self.statement_id
        return shape


@dataclass(frozen=True)
class Witness:
    caller: Caller
    action: str
    resource: str
    context: dict


# ---- building witnesses ---------------------------------------------------------------------------------

def _instantiate(pattern: str) -> str:
    """A concrete value a wildcard pattern matches."""
    return pattern.replace("*", "x").replace("?", "x")


def caller_for(principal_arn: str) -> Caller | None:
    """A caller that a principal ARN names: the account root, a user, or a session of a role."""
    match = re.fullmatch(r"arn:aws:(iam|sts)::(\d{12}):(root|user/.+|role/.+|assumed-role/[^/]+/[^/]+)",
                         principal_arn)
    if match is None:
        return None
    account, rest = match.group(2), match.group(3)
    if rest == "root":
        return Caller(arn=principal_arn, account=account, kind="Root", user_id=account)
    if rest.startswith("user/"):
        name = rest.rsplit("/", 1)[-1]
        return Caller(arn=principal_arn, account=account, kind="IAMUser", user_id=f"AIDACHECK{name.upper()[:8]}",
                      username=name)
    if rest.startswith("role/"):
        name = rest.rsplit("/", 1)[-1]
        return Caller(arn=f"arn:aws:sts::{account}:assumed-role/{name}/PolicyCheck", account=account,
                      kind="AssumedRole", user_id="AROACHECK:PolicyCheck", role_arn=principal_arn)
    _, role, session = rest.split("/")
    return Caller(arn=principal_arn, account=account, kind="AssumedRole", user_id=f"AROACHECK:{session}",
                  role_arn=f"arn:aws:iam::{account}:role/{role}")


def _anyone() -> Caller:
    return Caller(arn=f"arn:aws:iam::{_ANYONE_ACCOUNT}:root", account=_ANYONE_ACCOUNT, kind="Root",
                  user_id=_ANYONE_ACCOUNT)


def _callers(statement: Statement, resource_policy: bool) -> list[Caller]:
    if not resource_policy:
        return [_HOLDER]
    spec = statement.principal
    if spec is None or spec.wildcard:
        return [_anyone()]  # Principal "*", or NotPrincipal: someone the policy does not name
    return [caller for caller in map(caller_for, spec.aws) if caller is not None]


def _actions(statement: Statement) -> list[str]:
    if statement.not_actions:
        return [a for a in KNOWN_ACTIONS if statement.matches_action(a.lower())] + [_UNLISTED_ACTION]
    covered = [a for a in KNOWN_ACTIONS if statement.matches_action(a.lower())]
    # Actions of services the catalogue does not list stand for themselves.
    others = [_instantiate(p) for p in statement.actions
              if p != "*" and not any(a.lower().startswith(p.lower().split("*")[0]) for a in KNOWN_ACTIONS)]
    return covered + others


def _resources(statement: Statement, resource_policy: bool) -> list[str]:
    if statement.not_resources or not statement.resources or statement.resource_any:
        return [_ANY_KEY]
    return [_instantiate(pattern) for pattern in statement.resources]


def _satisfying_context(statement: Statement) -> dict | None:
    """Condition values under which the statement applies, or None when we cannot build them."""
    context: dict[str, object] = {}
    for clause in statement.conditions:
        if clause.base is None or not clause.values:
            return None
        value: object = _instantiate(clause.values[0])
        if clause.base == "Null":
            if clause.values[0].lower() == "true":
                continue
            value = "x"
        elif clause.base.startswith(("StringNot", "ArnNot", "NotIpAddress")):
            value = "not-" + "-".join(clause.values)
        elif clause.base == "NumericLessThan":
            value = str(_number(clause.values[0]) - 1)
        elif clause.base == "NumericGreaterThan":
            value = str(_number(clause.values[0]) + 1)
        elif clause.base == "NumericNotEquals":
            value = str(_number(clause.values[0]) + 1)
        elif clause.base == "IpAddress":
            value = clause.values[0].split("/")[0]
        if clause.qualifier:
            value = [value]
        context[clause.key] = value
    return context


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def witnesses(statement: Statement, resource_policy: bool) -> list[Witness] | None:
    """Concrete requests the statement speaks about; None when its conditions cannot be satisfied here."""
    context = _satisfying_context(statement)
    if context is None:
        return None
    return [Witness(caller, action, resource, context)
            for caller in _callers(statement, resource_policy)
            for action in _actions(statement)
            for resource in _resources(statement, resource_policy)]


def allows(policy: Policy, witness: Witness, resource_policy: bool) -> tuple[bool, list[Statement]]:
    request = AccessRequest(caller=witness.caller, action=witness.action, resource_arn=witness.resource,
                            resource_account=None, region=_REGION, context=witness.context)
    return policy_allows(policy, request, resource_policy=resource_policy)


# ---- the checks -------------------------------------------------------------------------------------------

def check_no_new_access(new: Policy, existing: Policy, *, resource_policy: bool) -> list[Reason]:
    """The statements of `new` that allow something `existing` does not (empty: no new access)."""
    flagged: dict[int, Statement] = {}
    for source in (new, existing):
        for statement in source.statements:
            if statement.effect != "Allow":
                continue
            found = witnesses(statement, resource_policy)
            if found is None:
                if source is new:
                    flagged.setdefault(statement.index, statement)
                continue
            for witness in found:
                new_allows, granting = allows(new, witness, resource_policy)
                if new_allows and not allows(existing, witness, resource_policy)[0]:
                    for granted_by in granting:
                        flagged.setdefault(granted_by.index, granted_by)
    return [Reason(f"New access in the statement with index: {index}.", index, statement.sid)
            for index, statement in sorted(flagged.items())]


def check_access_not_granted(policy: Policy, actions: list[str], resources: list[str], *,
                             resource_policy: bool) -> list[Reason]:
    """The statements that grant one of `actions` on one of `resources` (either list may be empty: any)."""
    flagged: dict[int, Statement] = {}
    for statement in policy.statements:
        if statement.effect != "Allow":
            continue
        found = witnesses(statement, resource_policy)
        if found is None:
            found = [Witness(c, a, r, {}) for c in _callers(statement, resource_policy)
                     for a in _actions(statement) for r in _resources(statement, resource_policy)]
        callers = list({w.caller.arn: w.caller for w in found}.values())
        context = found[0].context if found else {}
        wanted_actions = actions or sorted({w.action for w in found})
        wanted_resources = resources or sorted({w.resource for w in found})
        for caller in callers:
            for action in wanted_actions:
                for resource in wanted_resources:
                    granted, granting = allows(policy, Witness(caller, action, resource, context), resource_policy)
                    if granted and statement in granting:
                        flagged.setdefault(statement.index, statement)
    return [Reason(f"One or more of the listed actions or resources in the statement with index: {index}.",
                   index, statement.sid) for index, statement in sorted(flagged.items())]


def check_no_public_access(policy: Policy) -> list[Reason]:
    """The statements that allow anyone, with no condition limiting who the caller is."""
    reasons = []
    for statement in policy.statements:
        if statement.effect != "Allow":
            continue
        open_to_all = statement.not_principal is not None or (statement.principal is not None and
                                                               statement.principal.wildcard)
        if not open_to_all or _limited(statement):
            continue
        reasons.append(Reason(f"Public access granted in the following statement with index: {statement.index}.",
                              statement.index, statement.sid))
    return reasons


def _limited(statement: Statement) -> bool:
    return any(clause.key_lower in _LIMITING_KEYS and clause.base in _POSITIVE_OPERATORS
               and not any("*" == v.strip() for v in clause.values)
               for clause in statement.conditions)
