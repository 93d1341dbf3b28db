"""Authorisation decisions for KMS keys, IAM-only actions and role trust (kms.md §4.2).

Every function here is pure: plain data in, a `Decision` out. A decision names the
statements and grants that produced it (`Reason.source`), says in plain English why,
and knows the exact AccessDeniedException text AWS would return (kms.md §4.7).

Choices where AWS is silent (documented so the corpus can pin them):
- Session policies narrow everything an assumed-role session gets from identity
  policies, from resource policies or grants naming its role, and from `*`; a key
  policy or grant naming the exact session ARN is not narrowed.
- A grant naming the caller (user, role, session) needs no IAM policy; a grant naming
  an account root delegates to IAM exactly like a key-policy root statement.
- An account root user holds every IAM permission of its own account, so a key policy
  that trusts the account lets the root user in without an identity policy.
- Order of denials: explicit deny (key policy, then identity, then session policy) before
  the cross-account rules (opt-in Region, then operation list) before "nothing allows".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping, Sequence

from policies.actions import (GRANT_OPERATIONS_WITH_CONTEXT, grant_operation_for_action,
                              is_cross_account_action)
from policies.conditions import clause_holds
from policies.grammar import Policy, PrincipalSpec, Statement
from policies.matching import _MISSING, arn_match

_EMPTY: Mapping = {}


@dataclass(frozen=True, slots=True)
class Caller:
    arn: str
    account: str
    kind: str                                   # "Root" | "IAMUser" | "AssumedRole"
    user_id: str
    username: str | None = None
    role_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1] if self.arn.startswith("arn:") else "aws"

    @property
    def role_name(self) -> str | None:
        return self.role_arn.rsplit("/", 1)[-1] if self.role_arn else None

    @property
    def session_name(self) -> str | None:
        return self.arn.rsplit("/", 1)[-1] if self.kind == "AssumedRole" else None

    @property
    def principal_type(self) -> str:
        """The aws:PrincipalType value."""
        return {"Root": "Account", "IAMUser": "User"}.get(self.kind, self.kind)

    def describe(self) -> str:
        if self.kind == "Root":
            return f"the root user of account {self.account}"
        if self.kind == "AssumedRole":
            return f"role {self.role_name} (session {self.session_name}) of account {self.account}"
        return f"user {self.username or self.arn.rsplit('/', 1)[-1]} of account {self.account}"

    def identity_holder(self) -> str:
        """Who IAM policies are attached to, for explanations."""
        if self.kind == "AssumedRole":
            return f"role {self.role_name}"
        return f"user {self.username or self.arn.rsplit('/', 1)[-1]}"


@dataclass(frozen=True, slots=True)
class NamedPolicy:
    name: str        # "AllowUseOfKeyInAccount111122223333", "inline:Bob/MyPolicy"
    policy: Policy


@dataclass(frozen=True, slots=True)
class GrantView:
    grant_id: str
    grantee_principal: str
    operations: frozenset[str]
    constraints: Mapping[str, Mapping[str, str]] | None = None
    retiring_principal: str | None = None


@dataclass(frozen=True, slots=True)
class AccessRequest:
    caller: Caller
    action: str
    resource_arn: str
    resource_account: str | None
    region: str
    context: Mapping[str, object] = field(default_factory=dict)
    encryption_context: Mapping[str, str] | None = None


class Effect(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True, slots=True)
class Reason:
    source: str      # "key-policy:Allow use of the key", "iam:<policy>/<Sid>", "grant:<id>", ...
    effect: str      # "Allow" | "Deny"
    detail: str


_GENERIC_CROSS_ACCOUNT = {"no-resource-policy", "explicit-deny-resource", "not-cross-account-operation",
                          "region-not-enabled"}
_SUFFIX = {
    "no-resource-policy": "because no resource-based policy allows the {action} action",
    "no-identity-policy": "because no identity-based policy allows the {action} action",
    "no-session-policy": "because no session policy allows the {action} action",
    "explicit-deny-resource": "with an explicit deny in a resource-based policy",
    "explicit-deny-identity": "with an explicit deny in an identity-based policy",
    "explicit-deny-session": "with an explicit deny in a session policy",
    "no-trust-policy": "because no role trust policy allows the {action} action",
    "explicit-deny-trust": "with an explicit deny in the role trust policy",
}


@dataclass(frozen=True, slots=True)
class Decision:
    effect: Effect
    reasons: tuple[Reason, ...]
    explanation: str
    denial: str | None
    cross_account: bool
    action: str = ""
    resource_arn: str = ""
    caller_arn: str = ""

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW

    def access_denied_message(self) -> str:
        """AWS's AccessDeniedException text (kms.md §4.7); "" when allowed.

        Cross-account denials decided on the resource side get the generic text that
        reveals nothing about the key. When the request names no resource ("*", as for
        kms:ListKeys), the "on resource:" part is left out, as AWS does for such actions.
        """
        if self.allowed:
            return ""
        if self.denial == "root-cannot-assume-role":
            return "Roles may not be assumed by root accounts."
        head = f"User: {self.caller_arn} is not authorized to perform: {self.action}"
        if self.cross_account and self.denial in _GENERIC_CROSS_ACCOUNT:
            return (f"{head} on this resource because the resource does not exist in this Region, "
                    "no resource-based policies allow access, or a resource-based policy explicitly denies access")
        on = "" if self.resource_arn in ("", "*") else f" on resource: {self.resource_arn}"
        suffix = _SUFFIX.get(self.denial or "", "because no resource-based policy allows the {action} action")
        return f"{head}{on} {suffix.format(action=self.action)}"


# ---- request context ----

class _Scope:
    """One evaluation: the request plus its condition context, built only if needed."""

    __slots__ = ("request", "caller", "action_lower", "resource", "root_arn", "_context")

    def __init__(self, request: AccessRequest):
        self.request = request
        self.caller = request.caller
        self.action_lower = request.action.lower()
        self.resource = request.resource_arn
        self.root_arn = request.caller.root_arn
        self._context: dict[str, object] | None = None

    @property
    def context(self) -> dict[str, object]:
        if self._context is None:
            self._context = request_context(self.request)
        return self._context

    def lookup(self, name: str) -> object:
        return self.context.get(name, _MISSING)


def request_context(request: AccessRequest) -> dict[str, object]:
    """Condition keys of a request, lower-cased, with the principal-derived keys added.

    Principal keys always come from the caller (a request cannot spoof them); time,
    transport and encryption-context keys default only when the request lacks them.
    """
    caller = request.caller
    context = {key.lower(): value for key, value in request.context.items()}
    if request.encryption_context is not None:
        for key, value in request.encryption_context.items():
            context.setdefault("kms:encryptioncontext:" + key.lower(), value)
        context.setdefault("kms:encryptioncontextkeys", list(request.encryption_context))
    context.setdefault("aws:securetransport", False)
    if "aws:currenttime" not in context or "aws:epochtime" not in context:
        now = datetime.now(timezone.utc)
        context.setdefault("aws:currenttime", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        context.setdefault("aws:epochtime", int(now.timestamp()))
    context["aws:principalarn"] = caller.role_arn if caller.kind == "AssumedRole" and caller.role_arn else caller.arn
    context["aws:principalaccount"] = caller.account
    context["aws:principaltype"] = caller.principal_type
    context["aws:userid"] = caller.user_id
    if caller.username:
        context["aws:username"] = caller.username
    else:
        context.pop("aws:username", None)
    for key, value in caller.tags.items():
        context["aws:principaltag/" + key.lower()] = value
    context["kms:calleraccount"] = caller.account
    context["aws:requestedregion"] = request.region
    return context


# ---- statement tests ----

NONE, DIRECT, SESSION, ACCOUNT = 0, 1, 2, 3   # how a principal element names the caller


def _principal_kind(spec: PrincipalSpec, scope: _Scope) -> int:
    if spec.wildcard:
        return DIRECT
    names = spec.aws_set
    if not names:
        return NONE
    caller = scope.caller
    if caller.arn in names:
        return SESSION if caller.kind == "AssumedRole" else DIRECT
    if caller.role_arn is not None and caller.role_arn in names:
        return DIRECT
    if caller.user_id.split(":", 1)[0] in names:   # principals kept as unique ids (AIDA.../AROA...)
        return DIRECT
    if scope.root_arn in names:
        return ACCOUNT
    return NONE


def _statement_principal(statement: Statement, scope: _Scope) -> int:
    if statement.principal is not None:
        return _principal_kind(statement.principal, scope)
    if statement.not_principal is not None:
        return NONE if _principal_kind(statement.not_principal, scope) != NONE else DIRECT
    return NONE


def _resource_matches(statement: Statement, scope: _Scope) -> bool:
    if statement.resources:
        if statement.resource_any:
            return True
        lookup = scope.lookup if statement.variables else None
        return any(arn_match(p, scope.resource, lookup) for p in statement.resources)
    if statement.not_resources:
        lookup = scope.lookup if statement.variables else None
        return not any(arn_match(p, scope.resource, lookup) for p in statement.not_resources)
    return False


def _applies(statement: Statement, scope: _Scope, check_resource: bool = True) -> bool:
    if not statement.matches_action(scope.action_lower):
        return False
    if check_resource and not _resource_matches(statement, scope):
        return False
    if statement.conditions:
        context = scope.context
        lookup = scope.lookup if statement.variables else None
        for clause in statement.conditions:
            if not clause_holds(clause, context, lookup):
                return False
    return True


@dataclass
class _ResourceScan:
    """Statements of a resource policy (key or trust policy) that apply to the caller."""

    prefix: str
    direct: list[Statement] = field(default_factory=list)    # names the caller (user/role/*)
    session: list[Statement] = field(default_factory=list)   # names the exact session ARN
    account: list[Statement] = field(default_factory=list)   # names the caller's account root
    denies: list[Statement] = field(default_factory=list)

    @property
    def allows(self) -> list[Statement]:
        return self.direct + self.session + self.account

    def kind_of(self, statement: Statement) -> int:
        return SESSION if statement in self.session else ACCOUNT if statement in self.account else DIRECT


def _scan_resource_policy(policy: Policy, prefix: str, scope: _Scope, check_resource: bool) -> _ResourceScan:
    scan = _ResourceScan(prefix)
    for statement in policy.statements:
        kind = _statement_principal(statement, scope)
        if kind == NONE or not _applies(statement, scope, check_resource):
            continue
        if statement.effect == "Deny":
            scan.denies.append(statement)
        elif kind == DIRECT:
            scan.direct.append(statement)
        elif kind == SESSION:
            scan.session.append(statement)
        else:
            scan.account.append(statement)
    return scan


def _scan_policies(policies: Sequence[tuple[str, Policy]], scope: _Scope) -> tuple[list, list]:
    """(allows, denies) of identity-style policies, each as (source, statement)."""
    allows, denies = [], []
    for source_prefix, policy in policies:
        for statement in policy.statements:
            if _applies(statement, scope):
                (denies if statement.effect == "Deny" else allows).append((f"{source_prefix}/{statement.label}"
                                                                           if source_prefix.startswith("iam:")
                                                                           else f"{source_prefix}:{statement.label}",
                                                                           statement))
    return allows, denies


def _identity_sources(identity_policies: Sequence[NamedPolicy]) -> list[tuple[str, Policy]]:
    return [(f"iam:{named.name}", named.policy) for named in identity_policies]


def _grant_constraints_met(grant: GrantView, operation: str, request: AccessRequest) -> bool:
    if not grant.constraints or operation not in GRANT_OPERATIONS_WITH_CONTEXT:
        return True
    context = request.encryption_context or {}
    equals = grant.constraints.get("EncryptionContextEquals")
    if equals is not None and dict(context) != dict(equals):
        return False
    subset = grant.constraints.get("EncryptionContextSubset")
    if subset is not None and any(context.get(k) != v for k, v in subset.items()):
        return False
    return True


def _matching_grants(grants: Sequence[GrantView], scope: _Scope) -> list[tuple[GrantView, int]]:
    if not grants:
        return []
    operation = grant_operation_for_action(scope.request.action)
    if operation is None:
        return []
    caller = scope.caller
    hits = []
    for grant in grants:
        if operation not in grant.operations:
            continue
        grantee = grant.grantee_principal
        if grantee == caller.arn:
            kind = SESSION if caller.kind == "AssumedRole" else DIRECT
        elif caller.role_arn is not None and grantee == caller.role_arn:
            kind = DIRECT
        elif grantee == scope.root_arn:
            kind = ACCOUNT
        else:
            continue
        if _grant_constraints_met(grant, operation, scope.request):
            hits.append((grant, kind))
    return hits


# ---- explanations ----

def _quote(statement: Statement) -> str:
    return f'"{statement.sid}"' if statement.sid else f"#{statement.index}"


def _kp_reason(prefix: str, statement: Statement, kind: int, action: str) -> Reason:
    if statement.effect == "Deny":
        return Reason(f"{prefix}:{statement.label}", "Deny", f"explicitly denies {action}")
    how = {DIRECT: "names the caller directly", SESSION: "names the caller's session directly",
           ACCOUNT: "allows the caller's account, delegating to its IAM policies"}[kind]
    return Reason(f"{prefix}:{statement.label}", "Allow", f"allows {action}; {how}")


def _policy_reason(source: str, statement: Statement, action: str) -> Reason:
    verb = "explicitly denies" if statement.effect == "Deny" else "allows"
    return Reason(source, statement.effect, f"{verb} {action} on {_where(statement)}")


def _where(statement: Statement) -> str:
    if statement.resource_any:
        return "every resource (*)"
    if statement.resources:
        return ", ".join(statement.resources)
    if statement.not_resources:
        return "every resource except " + ", ".join(statement.not_resources)
    return "the resource"


def _grant_reason(grant: GrantView, kind: int) -> Reason:
    how = "delegating to the IAM policies of the grantee account" if kind == ACCOUNT else "naming the caller"
    ops = ", ".join(sorted(grant.operations))
    return Reason(f"grant:{grant.grant_id}", "Allow", f"grant for {ops} to {grant.grantee_principal}, {how}")


def _resource_reasons(scan: _ResourceScan, action: str) -> list[Reason]:
    out = [_kp_reason(scan.prefix, s, DIRECT, action) for s in scan.direct]
    out += [_kp_reason(scan.prefix, s, SESSION, action) for s in scan.session]
    out += [_kp_reason(scan.prefix, s, ACCOUNT, action) for s in scan.account]
    return out


def _describe_sources(items: Sequence[tuple[str, Statement]]) -> str:
    return ", ".join(source for source, _ in items)


# ---- key access ----

def evaluate_key_access(request: AccessRequest, *, key_policy: Policy, key_account: str, key_region: str,
                        identity_policies: Sequence[NamedPolicy] = (), session_policy: Policy | None = None,
                        grants: Sequence[GrantView] = (), caller_region_enabled: bool = True) -> Decision:
    """May `request.caller` perform `request.action` on the key `request.resource_arn`?"""
    scope = _Scope(request)
    caller = request.caller
    action = request.action
    cross = caller.account != key_account

    def decide(effect: Effect, reasons: list[Reason], explanation: str, denial: str | None = None) -> Decision:
        return Decision(effect, tuple(reasons), explanation, denial, cross, action, request.resource_arn, caller.arn)

    key_scan = _scan_resource_policy(key_policy, "key-policy", scope, check_resource=True)
    id_allows, id_denies = _scan_policies(_identity_sources(identity_policies), scope)
    if session_policy is not None:
        session_allows, session_denies = _scan_policies([("session-policy", session_policy)], scope)
    else:
        session_allows, session_denies = [], []
    grant_hits = _matching_grants(grants, scope)

    # 1. Explicit deny anywhere wins (grants cannot deny).
    if key_scan.denies or id_denies or session_denies:
        reasons = [_kp_reason("key-policy", s, DIRECT, action) for s in key_scan.denies]
        reasons += [_policy_reason(src, s, action) for src, s in id_denies + session_denies]
        if key_scan.denies:
            denial = "explicit-deny-resource"
            why = f"key policy statement {_quote(key_scan.denies[0])} explicitly denies {action} to {caller.describe()}"
        elif id_denies:
            denial = "explicit-deny-identity"
            why = f"IAM policy statement {id_denies[0][0]} explicitly denies {action} on this key"
        else:
            denial = "explicit-deny-session"
            why = f"the session policy ({session_denies[0][0]}) explicitly denies {action}"
        return decide(Effect.EXPLICIT_DENY, reasons, f"Denied: {why}; an explicit deny overrides every allow.", denial)

    # 2. Cross-account gates.
    if cross and not caller_region_enabled:
        return decide(Effect.IMPLICIT_DENY, [],
                      f"Denied: account {caller.account} has not enabled Region {key_region}, where the key lives; "
                      "permissions given to another account only work in Regions that account has enabled.",
                      "region-not-enabled")
    if cross and not is_cross_account_action(action):
        return decide(Effect.IMPLICIT_DENY, _resource_reasons(key_scan, action),
                      f"Denied: {action} is not a cross-account operation. Only the cryptographic, describe and "
                      "grant operations work on a key of another account, whatever the policies say.",
                      "not-cross-account-operation")

    # 3. The three ways in: key policy alone (same account, named caller), key policy + IAM, grant.
    is_root = caller.kind == "Root"
    identity_ok = is_root or bool(id_allows)
    session_ok = session_policy is None or bool(session_allows)
    direct_grants = [(g, k) for g, k in grant_hits if k != ACCOUNT]
    account_grants = [(g, k) for g, k in grant_hits if k == ACCOUNT]

    via_key_policy_alone = not cross and (key_scan.session or (key_scan.direct and session_ok))
    delegating = (key_scan.account if not cross else key_scan.allows)
    via_iam = bool(delegating) and identity_ok and session_ok
    via_grant = any(k == SESSION or session_ok for _, k in direct_grants) or (
        bool(account_grants) and identity_ok and session_ok)

    id_reasons = [_policy_reason(src, s, action) for src, s in id_allows]
    session_reasons = [_policy_reason(src, s, action) for src, s in session_allows]
    grant_reasons = [_grant_reason(g, k) for g, k in grant_hits]

    if via_key_policy_alone or via_iam or via_grant:
        # Reasons name only what opened the door, path by path.
        reasons: list[Reason] = []
        if via_key_policy_alone:
            reasons += [_kp_reason("key-policy", s, SESSION, action) for s in key_scan.session]
            if session_ok:
                reasons += [_kp_reason("key-policy", s, DIRECT, action) for s in key_scan.direct]
        if via_iam:
            reasons += [_kp_reason("key-policy", s, key_scan.kind_of(s), action) for s in delegating]
            reasons += id_reasons
        if via_grant:
            reasons += [_grant_reason(g, k) for g, k in direct_grants if k == SESSION or session_ok]
            if identity_ok and session_ok:
                reasons += [_grant_reason(g, k) for g, k in account_grants]
                reasons += [r for r in id_reasons if r not in reasons]
        if session_policy is not None and session_ok:
            reasons += session_reasons
        reasons = list(dict.fromkeys(reasons))
        parts = []
        if via_key_policy_alone:
            named = (key_scan.session or key_scan.direct)[0]
            parts.append(f"the key policy statement {_quote(named)} names {caller.describe()} directly, "
                         "so no IAM policy is needed")
        if via_iam:
            kp = delegating[0]
            if is_root:
                parts.append(f"the key policy statement {_quote(kp)} allows account {caller.account}, and the root "
                             "user holds every permission of its own account")
            else:
                who = "account " + caller.account if kp in key_scan.account else caller.describe()
                parts.append(f"the key policy statement {_quote(kp)} allows {who} and IAM policy "
                             f"{id_allows[0][0]} allows {action} on this key")
        if via_grant:
            parts.append(f"grant {grant_hits[0][0].grant_id} gives {caller.describe()} {action}")
        return decide(Effect.ALLOW, reasons, "Allowed: " + "; ".join(parts) + ".")

    # 4. Implicit deny: say which half is missing; the reasons are the partial permissions.
    reasons = _resource_reasons(key_scan, action) + id_reasons + session_reasons + grant_reasons
    has_resource_side = bool(key_scan.allows) or bool(grant_hits)
    direct_path = (not cross and bool(key_scan.direct)) or bool(direct_grants)
    if not has_resource_side:
        if cross:
            why = (f"the key policy of account {key_account} allows neither account {caller.account} nor "
                   f"{caller.describe()} to perform {action}, and no grant gives it to them")
        elif key_scan.account or _names_account(key_policy, scope):
            why = f"no key policy statement allows {action} to {caller.describe()}, and no grant gives it"
        else:
            why = (f"the key policy neither names {caller.describe()} nor enables IAM policies for account "
                   f"{caller.account} for {action}, and no grant applies; IAM policies alone cannot open a key")
        denial = "no-resource-policy"
    elif session_policy is not None and not session_allows and (direct_path or identity_ok):
        why = f"the session policy of {caller.describe()} does not allow {action} on this key"
        denial = "no-session-policy"
    else:
        side = _resource_side_text(key_scan, account_grants, caller, key_account, cross)
        why = f"{side}, but no policy attached to {caller.identity_holder()} allows {action} on this key"
        denial = "no-identity-policy"
    return decide(Effect.IMPLICIT_DENY, reasons, f"Denied: {why}.", denial)


def _names_account(policy: Policy, scope: _Scope) -> bool:
    """Whether any statement mentions the caller's account root (for a clearer explanation)."""
    return any(s.principal is not None and scope.root_arn in s.principal.aws_set for s in policy.statements)


def _resource_side_text(scan: _ResourceScan, account_grants, caller: Caller, key_account: str, cross: bool) -> str:
    if scan.account:
        return f"the key policy ({_quote(scan.account[0])}) allows account {caller.account}"
    if scan.direct or scan.session:
        named = (scan.direct or scan.session)[0]
        return (f"the key policy ({_quote(named)}) names {caller.describe()}, but as a principal of another "
                f"account it still needs its own IAM permission" if cross else
                f"the key policy ({_quote(named)}) names {caller.describe()}")
    grant = account_grants[0][0]
    return f"grant {grant.grant_id} names account {caller.account}"


# ---- IAM-only actions ----

def evaluate_identity_access(request: AccessRequest, *, identity_policies: Sequence[NamedPolicy] = (),
                             session_policy: Policy | None = None) -> Decision:
    """Actions decided by the caller's own IAM policies only (kms:CreateKey, kms:ListKeys,
    cloudtrail:LookupEvents, sts:AssumeRole as the caller's permission...)."""
    scope = _Scope(request)
    caller = request.caller
    action = request.action
    cross = request.resource_account is not None and request.resource_account != caller.account

    def decide(effect: Effect, reasons: list[Reason], explanation: str, denial: str | None = None) -> Decision:
        return Decision(effect, tuple(reasons), explanation, denial, cross, action, request.resource_arn, caller.arn)

    allows, denies = _scan_policies(_identity_sources(identity_policies), scope)
    session_allows, session_denies = (_scan_policies([("session-policy", session_policy)], scope)
                                      if session_policy is not None else ([], []))
    if denies or session_denies:
        reasons = [_policy_reason(src, s, action) for src, s in denies + session_denies]
        denial = "explicit-deny-identity" if denies else "explicit-deny-session"
        return decide(Effect.EXPLICIT_DENY, reasons,
                      f"Denied: {(denies or session_denies)[0][0]} explicitly denies {action}.", denial)
    reasons = [_policy_reason(src, s, action) for src, s in allows + session_allows]
    if caller.kind == "Root":
        return decide(Effect.ALLOW, [Reason("root-user", "Allow", "the account root user holds every permission")],
                      f"Allowed: {caller.describe()} holds every permission of its own account.")
    if not allows:
        return decide(Effect.IMPLICIT_DENY, reasons,
                      f"Denied: no policy attached to {caller.identity_holder()} allows {action}.",
                      "no-identity-policy")
    if session_policy is not None and not session_allows:
        return decide(Effect.IMPLICIT_DENY, reasons,
                      f"Denied: {allows[0][0]} allows {action}, but the session policy does not.",
                      "no-session-policy")
    return decide(Effect.ALLOW, reasons, f"Allowed: {allows[0][0]} allows {action}.")


# ---- role trust ----

def evaluate_role_trust(request: AccessRequest, *, trust_policy: Policy, role_account: str,
                        identity_policies: Sequence[NamedPolicy] = (),
                        session_policy: Policy | None = None) -> Decision:
    """sts:AssumeRole on `request.resource_arn` (the role). Same account: a trust policy naming
    the caller suffices; one naming the account root needs the caller's IAM permission.
    Another account: the trust policy and the caller's IAM permission are both needed."""
    scope = _Scope(request)
    caller = request.caller
    action = request.action
    cross = caller.account != role_account

    def decide(effect: Effect, reasons: list[Reason], explanation: str, denial: str | None = None) -> Decision:
        return Decision(effect, tuple(reasons), explanation, denial, cross, action, request.resource_arn, caller.arn)

    if caller.kind == "Root":
        return decide(Effect.IMPLICIT_DENY, [], "Denied: an account root user cannot assume a role.",
                      "root-cannot-assume-role")
    trust = _scan_resource_policy(trust_policy, "trust-policy", scope, check_resource=False)
    id_allows, id_denies = _scan_policies(_identity_sources(identity_policies), scope)
    session_allows, session_denies = (_scan_policies([("session-policy", session_policy)], scope)
                                      if session_policy is not None else ([], []))
    if trust.denies or id_denies or session_denies:
        reasons = [_kp_reason("trust-policy", s, DIRECT, action) for s in trust.denies]
        reasons += [_policy_reason(src, s, action) for src, s in id_denies + session_denies]
        denial = ("explicit-deny-trust" if trust.denies else
                  "explicit-deny-identity" if id_denies else "explicit-deny-session")
        return decide(Effect.EXPLICIT_DENY, reasons, f"Denied: {reasons[0].source} explicitly denies {action}.",
                      denial)
    identity_ok = bool(id_allows)
    session_ok = session_policy is None or bool(session_allows)
    reasons = _resource_reasons(trust, action) + [_policy_reason(src, s, action)
                                                  for src, s in id_allows + session_allows]
    if not cross and (trust.session or (trust.direct and session_ok)):
        return decide(Effect.ALLOW, reasons,
                      f"Allowed: the trust policy names {caller.describe()} directly.")
    delegating = trust.account if not cross else trust.allows
    if delegating and identity_ok and session_ok:
        return decide(Effect.ALLOW, reasons,
                      f"Allowed: the trust policy ({_quote(delegating[0])}) trusts {caller.describe()} and "
                      f"{id_allows[0][0]} allows {action} on the role.")
    if not trust.allows:
        return decide(Effect.IMPLICIT_DENY, reasons,
                      f"Denied: the trust policy of the role trusts neither {caller.describe()} nor its account.",
                      "no-trust-policy")
    if session_policy is not None and not session_allows and identity_ok:
        return decide(Effect.IMPLICIT_DENY, reasons, f"Denied: the session policy does not allow {action}.",
                      "no-session-policy")
    return decide(Effect.IMPLICIT_DENY, reasons,
                  f"Denied: the trust policy trusts {caller.describe()}, but no policy attached to "
                  f"{caller.identity_holder()} allows {action} on this role.", "no-identity-policy")


# ---- PutKeyPolicy lockout safety check ----

def check_lockout(new_key_policy: Policy, *, caller: Caller, key_account: str, key_arn: str, region: str,
                  identity_policies: Sequence[NamedPolicy] = (), session_policy: Policy | None = None) -> bool:
    """True when `caller` could still call kms:PutKeyPolicy under `new_key_policy` (kms.md §4.8)."""
    request = AccessRequest(caller=caller, action="kms:PutKeyPolicy", resource_arn=key_arn,
                            resource_account=key_account, region=region,
                            context={"kms:PolicyName": "default", "kms:BypassPolicyLockoutSafetyCheck": False})
    return evaluate_key_access(request, key_policy=new_key_policy, key_account=key_account, key_region=region,
                               identity_policies=identity_policies, session_policy=session_policy).allowed


def can_retire_grant(caller: Caller, grant: GrantView, *, issuing_account: str,
                     identity_policies: Sequence[NamedPolicy] = (), key_arn: str = "*",
                     session_policy: Policy | None = None) -> bool:
    """RetireGrant is decided by the grant (kms.md §5): its retiring principal, its grantee when it
    includes RetireGrant, or the issuing account (its root, or IAM principals it delegates to).
    An explicit Deny of kms:RetireGrant in the caller's IAM (or session) policies wins over every path."""
    request = AccessRequest(caller=caller, action="kms:RetireGrant", resource_arn=key_arn,
                            resource_account=issuing_account, region="")
    identity = evaluate_identity_access(request, identity_policies=identity_policies,
                                        session_policy=session_policy)
    if identity.effect is Effect.EXPLICIT_DENY:
        return False
    names = {caller.arn} | ({caller.role_arn} if caller.role_arn else set())
    if grant.retiring_principal in names:
        return True
    if "RetireGrant" in grant.operations and grant.grantee_principal in names:
        return True
    # The issuing account's own principals retire as a backup: its root always, others when IAM allows.
    return caller.account == issuing_account and identity.allowed


def policy_allows(policy: Policy, request: AccessRequest, *, resource_policy: bool) -> tuple[bool, list[Statement]]:
    """Whether one policy on its own allows the request: an Allow statement applies and no Deny does.

    For a resource policy a statement must also name the caller (directly, its session or its account).
    Returns the Allow statements that apply, for callers that report which statement grants the access.
    Used by the policy checks (analyzer/checks.py), which compare policies before any is attached."""
    scope = _Scope(request)
    if resource_policy:
        scan = _scan_resource_policy(policy, "", scope, check_resource=True)
        return (bool(scan.allows) and not scan.denies), scan.allows
    allows, denies = _scan_policies([("policy", policy)], scope)
    return (bool(allows) and not denies), [statement for _, statement in allows]
