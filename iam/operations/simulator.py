"""The IAM policy simulator, answered by our own engine: SimulatePrincipalPolicy and SimulateCustomPolicy.

Each (action, resource) pair is one engine decision: evaluate_identity_access for IAM policies alone, or
evaluate_key_access when a ResourcePolicy is given for a KMS key ARN, so that the KMS rules apply exactly as
on a real call (another account's principal needs both policies; a non-cross-account action on another
account's key is refused whatever the policies say). The engine's reasons (`iam:<policy>/<Sid or #index>`,
`key-policy:<Sid or #index>`) become MatchedStatements with the statement's place in the document text.

Choices where AWS is unclear (documented, not guessed at silently):
- PolicyInputList documents are `PolicyInputList.<n>` of type "IAM Policy" (what AWS answers; botocore's enum
  omits it); the ResourcePolicy is `ResourcePolicy` of type "resource"; a principal's inline policies are
  typed user / group / role, its managed ones aws-managed / user-managed, each named by its policy name.
- CallerArn may also be an assumed-role session ARN of the caller's account (AWS accepts only users): a KMS
  key policy often names roles, and the simulator should show what the role's sessions get.
- EvalDecisionDetails holds "IAM Policy" (the identity policies alone) for every resource ARN, and
  "Resource Policy" (the resource policy, as if IAM allowed everything) when one is given.
- MissingContextValues: condition keys of the statements that apply to the action and resource, that no
  ContextEntry supplies and the engine cannot derive from the caller. Listed in the EvaluationResult for "*",
  in the ResourceSpecificResult for an ARN, as AWS documents.
- PermissionsBoundaryPolicyInputList, PolicyExclusionList, organisation policies and ResourceHandlingOption
  are accepted and ignored: this emulator has no boundaries, organisations or multi-resource scenarios.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from accounts.authz import identity_policies
from accounts.models import Account, IamPolicy, IamRole, InlinePolicy, RoleSession
from accounts.principals import Principal
from awsapi import errors
from awsapi.dispatch import operation
from iam.operations.common import account_id, authorize, find_group, find_role, find_user, paginate_list
from policies.engine import (AccessRequest, Caller, Decision, Effect, NamedPolicy, evaluate_identity_access,
                             evaluate_key_access)
from policies.grammar import IDENTITY_POLICY, KEY_POLICY, Policy, Statement, parse_policy, parse_policy_cached
from policies.matching import arn_match
from policies.positions import statement_spans
from policies.validator import validate_policy

_ENTITY_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}):(?P<kind>user|group|role)"
                         r"(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[\w+=,.@-]{1,128})")
_SESSION_ARN = re.compile(r"arn:aws:sts::(?P<account>\d{12}):assumed-role/(?P<role>[\w+=,.@-]{1,64})"
                          r"/(?P<session>[\w+=,.@-]{2,64})")
_KEY_ARN = re.compile(r"arn:aws:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):key/[\w-]+")
_ARN_ACCOUNT = re.compile(r"arn:[\w-]+:[\w-]*:[\w-]*:(?P<account>\d{12}):")
_DECISION = {Effect.ALLOW: "allowed", Effect.EXPLICIT_DENY: "explicitDeny", Effect.IMPLICIT_DENY: "implicitDeny"}
# Condition keys the engine always derives from the caller and the request (policies.engine.request_context).
_DERIVED_KEYS = frozenset(("aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid",
                           "aws:username", "kms:calleraccount", "aws:requestedregion"))
_SIMULATION_REGION = "us-east-1"  # where a resource without a Region is evaluated (IAM's own Region)
_ALLOW_EVERYTHING = NamedPolicy("simulator/allow-everything", parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))


@dataclass(frozen=True)
class _Source:
    """A policy document taking part in the simulation, as MatchedStatements names it."""

    policy_id: str
    policy_type: str
    text: str

    @property
    def policy(self) -> Policy:
        return parse_policy_cached(self.text)

    def statement_shape(self, label: str) -> dict:
        shape = {"SourcePolicyId": self.policy_id, "SourcePolicyType": self.policy_type}
        statement = next((s for s in self.policy.statements if s.label == label), None)
        spans = statement_spans(self.text)
        if statement is not None and statement.index < len(spans):
            span = spans[statement.index]
            shape["StartPosition"] = span.start.to_shape()
            shape["EndPosition"] = span.end.to_shape()
        return shape


# ----------------------------------------------------------------------------------------------------------
# The operations
# ----------------------------------------------------------------------------------------------------------


@operation("iam", "SimulatePrincipalPolicy", read_only=True)
def simulate_principal_policy(call):
    params = call.params
    kind, entity = _policy_source_entity(call, params["PolicySourceArn"])
    authorize(call, entity.arn)
    inputs = _input_policies(params.get("PolicyInputList", []))
    resource_policy = _resource_policy(params.get("ResourcePolicy"))
    if kind == "group":
        own = _group_sources(entity)
        named = [NamedPolicy(name, source.policy) for name, source in own.items()]
        source_of = own.get
        caller = Caller(arn=entity.arn, account=entity.account_id, kind="IAMUser", user_id=entity.unique_id)
    else:
        principal = Principal.for_user(entity) if kind == "user" else _role_principal(entity)
        named = identity_policies(principal)
        source_of = _principal_sources(kind, entity)
        caller = principal.caller() if kind == "user" else Caller(
            arn=entity.arn, account=entity.account_id, kind="AssumedRole", user_id=entity.unique_id,
            role_arn=entity.arn, tags=entity.tags or {})
    if params.get("CallerArn"):
        caller = _caller_for_arn(call, params["CallerArn"])
    elif resource_policy is not None and kind != "user":
        raise _caller_required()
    identity = named + [NamedPolicy(name, source.policy) for name, source in inputs.items()]
    return _simulate(call, caller, identity, lambda name: inputs.get(name) or source_of(name), resource_policy)


@operation("iam", "SimulateCustomPolicy", read_only=True)
def simulate_custom_policy(call):
    params = call.params
    authorize(call, "*")
    inputs = _input_policies(params["PolicyInputList"])
    resource_policy = _resource_policy(params.get("ResourcePolicy"))
    if params.get("CallerArn"):
        caller = _caller_for_arn(call, params["CallerArn"])
    elif resource_policy is not None:
        raise _caller_required()
    else:
        # Nobody in particular: the calling identity's own keys, but never the root user's free pass.
        caller = call.principal.caller()
        caller = replace(caller, kind="IAMUser") if caller.kind == "Root" else caller
    identity = [NamedPolicy(name, source.policy) for name, source in inputs.items()]
    return _simulate(call, caller, identity, inputs.get, resource_policy)


def _caller_required():
    return errors.InvalidInputException(
        "CallerArn is required when a ResourcePolicy is included and the PolicySourceArn is not an IAM user.",
        field="CallerArn")


# ----------------------------------------------------------------------------------------------------------
# Inputs: the policy source, the policies, the caller, the context
# ----------------------------------------------------------------------------------------------------------


def _policy_source_entity(call, arn: str):
    match = _ENTITY_ARN.fullmatch(arn)
    if match is None:
        raise errors.InvalidInputException(f"ARN {arn} is not valid.", field="PolicySourceArn")
    kind, name = match["kind"], match["name"]
    missing = errors.NoSuchEntityException(f"The {kind} with name {name} cannot be found.", field="PolicySourceArn")
    if match["account"] != account_id(call):
        raise missing  # IAM acts in the caller's own account only
    entity = {"user": find_user, "group": find_group, "role": find_role}[kind](call, name)
    if entity.path != match["path"]:
        raise missing
    return kind, entity


def _role_principal(role: IamRole) -> Principal:
    # identity_policies() reads the role behind a session; an unsaved session stands for any of them.
    return Principal.for_session(RoleSession(role=role, session_name="simulation"))


def _input_policies(documents: list[str]) -> dict[str, _Source]:
    sources = {}
    for number, text in enumerate(documents, start=1):
        errors_found = [f for f in validate_policy(text, IDENTITY_POLICY) if f.severity == "ERROR"]
        if errors_found:
            raise errors.MalformedPolicyDocumentException(errors_found[0].message, field="PolicyInputList")
        name = f"PolicyInputList.{number}"
        sources[name] = _Source(name, "IAM Policy", text)
    return sources


def _resource_policy(text: str | None) -> _Source | None:
    if text is None:
        return None
    errors_found = [f for f in validate_policy(text, KEY_POLICY) if f.severity == "ERROR"]
    if errors_found:
        raise errors.InvalidInputException(f"Invalid ResourcePolicy: {errors_found[0].message}",
                                           field="ResourcePolicy")
    return _Source("ResourcePolicy", "resource", text)


def _group_sources(group) -> dict[str, _Source]:
    """A group's own policies, named as accounts.authz names them for its members."""
    sources = {}
    for policy in InlinePolicy.objects.filter(group=group).order_by("name"):
        sources[f"group/{group.name}/inline/{policy.name}"] = _Source(policy.name, "group", policy.document)
    for policy in group.managed_policies.select_related("default_version").order_by("name"):
        sources[f"group/{group.name}/{policy.name}"] = _managed_source(policy)
    return sources


def _principal_sources(kind: str, entity) -> Callable[[str], _Source | None]:
    """Looks up, by the names accounts.authz gives them, the documents of a user's or role's policies:
    `<user|role|group>/<name>/inline/<policy>`, `group/<group>/<managed policy>` and `<managed policy>`.
    Only the policies of matched statements are read."""
    found: dict[str, _Source | None] = {}

    def source_of(name: str) -> _Source | None:
        if name not in found:
            found[name] = _load_principal_source(kind, entity, name)
        return found[name]

    return source_of


def _load_principal_source(kind: str, entity, name: str) -> _Source | None:
    parts = name.split("/")
    if len(parts) == 4 and parts[2] == "inline":
        owner_kind, owner_name, _, policy_name = parts
        inline = InlinePolicy.objects.filter(**{f"{owner_kind}__account_id": entity.account_id,
                                                f"{owner_kind}__name": owner_name}, name=policy_name).first()
        return _Source(policy_name, owner_kind, inline.document) if inline else None
    managed = IamPolicy.objects.select_related("default_version").filter(name=parts[-1])
    if len(parts) == 3:  # group/<group>/<policy>: attached to one of the user's groups
        managed = managed.filter(groups__account_id=entity.account_id, groups__name=parts[1])
    else:
        managed = managed.filter(**{f"{kind}s": entity})
    policy = managed.first()
    return _managed_source(policy) if policy else None


def _managed_source(policy: IamPolicy) -> _Source:
    return _Source(policy.name, "aws-managed" if policy.account_id is None else "user-managed",
                   policy.default_version.document if policy.default_version else "{}")


def _caller_for_arn(call, arn: str) -> Caller:
    """The simulated caller: an IAM user (as AWS allows) or an assumed-role session (our addition)."""
    own = account_id(call)
    user = _ENTITY_ARN.fullmatch(arn)
    if user is not None and user["kind"] == "user":
        if user["account"] == own:
            return Principal.for_user(find_user(call, user["name"])).caller()
        return Caller(arn=arn, account=user["account"], kind="IAMUser", user_id=arn, username=user["name"])
    session = _SESSION_ARN.fullmatch(arn)
    if session is not None:
        if session["account"] == own:
            role = find_role(call, session["role"])
            role_arn, user_id, tags = role.arn, f"{role.unique_id}:{session['session']}", role.tags or {}
        else:
            role_arn, user_id, tags = f"arn:aws:iam::{session['account']}:role/{session['role']}", arn, {}
        return Caller(arn=arn, account=session["account"], kind="AssumedRole", user_id=user_id,
                      role_arn=role_arn, tags=tags)
    raise errors.InvalidInputException(f"CallerArn {arn} is not the ARN of an IAM user or role session.",
                                       field="CallerArn")


def _context(entries: list[dict]) -> dict[str, object]:
    context: dict[str, object] = {}
    for entry in entries:
        name, values = entry.get("ContextKeyName"), entry.get("ContextKeyValues") or []
        if not name or not values:
            continue
        context[name] = list(values) if entry.get("ContextKeyType", "string").endswith("List") else values[0]
    return context


# ----------------------------------------------------------------------------------------------------------
# The simulation
# ----------------------------------------------------------------------------------------------------------


def _simulate(call, caller: Caller, identity: list[NamedPolicy], source_of: Callable[[str], _Source | None],
              resource_policy: _Source | None) -> dict:
    params = call.params
    context = _context(params.get("ContextEntries", []))
    owner = _ARN_ACCOUNT.match(params.get("ResourceOwner") or "")
    results = [
        _evaluate(caller, action, resource, context, identity, source_of, resource_policy,
                  owner["account"] if owner else None)
        for action in params["ActionNames"]
        for resource in params.get("ResourceArns") or ["*"]
    ]
    page, more = paginate_list(results, params)
    return {"EvaluationResults": page, **more}


def _evaluate(caller: Caller, action: str, resource: str, context: dict, identity: list[NamedPolicy],
              source_of, resource_policy: _Source | None, owner: str | None) -> dict:
    key = _KEY_ARN.fullmatch(resource)
    arn_account = _ARN_ACCOUNT.match(resource)
    region = resource.split(":")[3] if resource.startswith("arn:") and resource.count(":") >= 5 else ""
    request = AccessRequest(caller=caller, action=action, resource_arn=resource,
                            resource_account=arn_account["account"] if arn_account else owner,
                            region=region or _SIMULATION_REGION, context=context)
    iam_alone = evaluate_identity_access(request, identity_policies=identity)
    details = {} if resource == "*" else {"IAM Policy": _DECISION[iam_alone.effect]}
    decision: Decision = iam_alone
    applied_resource_policy = resource_policy if key is not None else None
    if applied_resource_policy is not None:
        settings = dict(key_policy=applied_resource_policy.policy, key_account=key["account"],
                        key_region=key["region"], caller_region_enabled=_region_enabled(caller.account, key["region"]))
        decision = evaluate_key_access(request, identity_policies=identity, **settings)
        as_if_iam_allowed = evaluate_key_access(request, identity_policies=[_ALLOW_EVERYTHING], **settings)
        details["Resource Policy"] = _DECISION[as_if_iam_allowed.effect]
    matched = _matched_statements(decision, source_of, applied_resource_policy)
    missing = _missing_context(request, identity, applied_resource_policy)
    result = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": _DECISION[decision.effect],
        "MatchedStatements": matched,
        "MissingContextValues": missing if resource == "*" else [],
    }
    if details:
        result["EvalDecisionDetails"] = details
    if resource != "*":
        result["ResourceSpecificResults"] = [{
            "EvalResourceName": resource,
            "EvalResourceDecision": _DECISION[decision.effect],
            "MatchedStatements": matched,
            "MissingContextValues": missing,
            "EvalDecisionDetails": details,
        }]
    return result


def _region_enabled(account: str, region: str) -> bool:
    """Whether the caller's account enabled the key's Region (an account we do not hold: assume so)."""
    holder = Account.objects.filter(pk=account).first()
    return holder is None or holder.region_enabled(region)


def _matched_statements(decision: Decision, source_of, resource_policy: _Source | None) -> list[dict]:
    shapes = []
    for reason in decision.reasons:
        if reason.source.startswith("iam:"):
            name, _, label = reason.source[len("iam:"):].rpartition("/")
            source = source_of(name)
        elif reason.source.startswith("key-policy:") and resource_policy is not None:
            source, label = resource_policy, reason.source[len("key-policy:"):]
        else:
            continue
        if source is not None:
            shape = source.statement_shape(label)
            if shape not in shapes:
                shapes.append(shape)
    return shapes


def _missing_context(request: AccessRequest, identity: list[NamedPolicy],
                     resource_policy: _Source | None) -> list[str]:
    """Condition keys of the statements that apply to the action and resource but that the request lacks."""
    supplied = {key.lower() for key in request.context}
    action = request.action.lower()
    statements = [s for named in identity for s in named.policy.statements
                  if s.matches_action(action) and _names_resource(s, request.resource_arn)]
    if resource_policy is not None:
        statements += [s for s in resource_policy.policy.statements if s.matches_action(action)]
    missing = []
    for statement in statements:
        for clause in statement.conditions:
            lowered = clause.key_lower
            if lowered in supplied or lowered in _DERIVED_KEYS or lowered.startswith("aws:principaltag/"):
                continue
            if clause.key not in missing:
                missing.append(clause.key)
    return missing


def _names_resource(statement: Statement, resource: str) -> bool:
    if statement.resources:
        return statement.resource_any or any(arn_match(p, resource) for p in statement.resources)
    return not any(arn_match(p, resource) for p in statement.not_resources)
