"""The console's "Access" tab (and the REST API's simulate): may this principal do this action on this key,
and why? Hypothetical requests evaluated with policies.engine, changing nothing.

Who sees what (README "The Access explainer"):
- The account view, for any principal of the key's account, shows what AWS lets that account know: its key
  policy and grants, and the IAM policies of its own principals. For a principal of another account the key
  side is certain, but the IAM side is that account's, which the key owner cannot read: the answer is then
  "depends on the other account", never a guess. The account view does not reveal whether another account's
  user or role exists either (AWS does not tell the key owner).
- The operator view (Django staff) evaluates the request as a real call would, with the other account's real
  IAM policies, and names the statements of both accounts; it also says when a principal does not exist.
- An unknown principal (of the key's own account, or of any account in the operator view) or an unknown
  action is said to be unknown and not evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Q

from accounts.models import Account, IamRole, IamUser, RoleSession
from accounts.principals import Principal
from accounts.regions import OPT_IN_REGIONS
from keys.authz import request_context
from keys.models import Grant, Key
from policies.actions import canonical_action, is_iam_only_action, is_key_resource_action
from policies.engine import (AccessRequest, Caller, Decision, Effect, GrantView, NamedPolicy, Reason,
                             evaluate_identity_access, evaluate_key_access)
from policies.grammar import parse_policy, parse_policy_cached

_ROOT = re.compile(r"^arn:aws:iam::(\d{12}):root$")
_USER_OR_ROLE = re.compile(r"^arn:aws:iam::(\d{12}):(user|role)(/(?:[^/]+/)*)([^/]+)$")
_SESSION = re.compile(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)/([^/]+)$")
_KEY_ARN = re.compile(r"^arn:aws:kms:([a-z0-9-]+):(\d{12}):key/.+$")
EXPLAINER_SESSION = "AccessExplainer"

ALLOWED, DENIED, DEPENDS, UNKNOWN = "allowed", "denied", "depends-on-other-account", "unknown"
ACCOUNT_VIEW, OPERATOR_VIEW = "account", "operator"


class BadQuestion(ValueError):
    """A question that cannot be asked as typed; `field` is the form field to show the message by."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Side:
    """One half of a decision. decision: "allow" (by itself), "allow-with-iam" (the key policy delegates to
    the caller account's IAM), "deny", "explicit-deny", "not-needed", "not-visible" or "not-evaluated"."""

    decision: str
    summary: str

    def as_dict(self) -> dict:
        return {"decision": self.decision, "summary": self.summary}


_NOT_EVALUATED = Side("not-evaluated", "Not evaluated.")


@dataclass
class Answer:
    principal_arn: str
    action: str
    view: str                           # ACCOUNT_VIEW | OPERATOR_VIEW
    verdict: str                        # ALLOWED | DENIED | DEPENDS | UNKNOWN
    explanation: str
    key_side: Side = field(default_factory=lambda: _NOT_EVALUATED)
    caller_side: Side = field(default_factory=lambda: _NOT_EVALUATED)
    reasons: list[Reason] = field(default_factory=list)
    effect: str | None = None           # the engine's Allow | ExplicitDeny | ImplicitDeny, when it decided
    key_account: str = ""
    caller_account: str = ""
    note: str | None = None

    @property
    def operator(self) -> bool:
        return self.view == OPERATOR_VIEW

    @property
    def verdict_label(self) -> str:
        return {ALLOWED: "Allowed", DENIED: "Denied", UNKNOWN: "Unknown",
                DEPENDS: f"Depends on account {self.caller_account}"}[self.verdict]

    @property
    def evaluated(self) -> bool:
        return self.verdict != UNKNOWN

    def reason_account(self, reason: Reason) -> str:
        """Whose statement a reason is: the key's account (key policy, grants) or the caller's (IAM)."""
        return self.key_account if reason.source.startswith(("key-policy", "grant:")) else self.caller_account

    @property
    def reason_rows(self) -> list[tuple[str, Reason]]:
        return [(self.reason_account(r), r) for r in self.reasons]

    def as_dict(self) -> dict:
        return {
            "principal_arn": self.principal_arn, "action": self.action, "view": self.view,
            "verdict": self.verdict, "effect": self.effect, "explanation": self.explanation,
            "key_side": self.key_side.as_dict(), "caller_side": self.caller_side.as_dict(),
            "reasons": [{"source": r.source, "effect": r.effect, "detail": r.detail,
                         "account": self.reason_account(r)} for r in self.reasons],
            "note": self.note,
        }


def parse_principal_arn(text: str) -> tuple[str, str, str | None, str | None]:
    """(account id, kind, path+name, session name) of a principal ARN or a bare account id; BadQuestion if
    neither."""
    text = text.strip()
    if re.fullmatch(r"\d{12}", text):
        return text, "Root", None, None
    if match := _ROOT.match(text):
        return match.group(1), "Root", None, None
    if match := _USER_OR_ROLE.match(text):
        account, kind, path, name = match.groups()
        return account, "IAMUser" if kind == "user" else "Role", f"{path}{name}", None
    if match := _SESSION.match(text):
        return match.group(1), "AssumedRole", match.group(2), match.group(3)
    raise BadQuestion("principal_arn", f"{text} is not a principal ARN: use arn:aws:iam::<account>:root, "
                                       ":user/<name>, :role/<name>, or "
                                       "arn:aws:sts::<account>:assumed-role/<role>/<session>.")


def explain_access(key: Key, principal_arn: str, action: str, *, region: str, source_ip: str,
                   operator: bool = False) -> Answer:
    """THE explanation of one (principal, action) on `key`, in the account view or, for an operator, with
    every account's policies. Raises BadQuestion for input that is not a question about a key."""
    account_id, kind, name, session_name = parse_principal_arn(principal_arn)
    asked = _normalised_arn(principal_arn.strip(), account_id, kind)
    view = OPERATOR_VIEW if operator else ACCOUNT_VIEW
    base = dict(principal_arn=asked, view=view, key_account=key.account_id, caller_account=account_id)

    canonical = canonical_action(action.strip())
    if canonical is None or not canonical.startswith("kms:"):
        return Answer(action=action.strip(), verdict=UNKNOWN, **base, explanation=(
            f"{action.strip()} is not a KMS action: nothing to evaluate. A policy may name it, but it never "
            "matches a request (KMS actions are listed in the service authorization reference)."))
    if is_iam_only_action(canonical) or not is_key_resource_action(canonical):
        raise BadQuestion("action", f"{canonical} is not performed on a key: IAM policies alone decide it. "
                                    "Ask about an action on a key, for example kms:Encrypt.")

    own_account = account_id == key.account_id
    if own_account or operator:
        principal, missing = _real_principal(account_id, kind, name, session_name)
        if principal is None:
            return Answer(action=canonical, verdict=UNKNOWN, explanation=missing, **base)
        return _explain_with_every_policy(key, principal, asked, canonical, region, source_ip, base)
    return _explain_key_side_only(key, asked, account_id, kind, name, session_name, canonical, region,
                                  source_ip, base)


def _normalised_arn(text: str, account_id: str, kind: str) -> str:
    return f"arn:aws:iam::{account_id}:root" if kind == "Root" else text


# ---- principals ----


def _split_path(path_and_name: str) -> tuple[str, str]:
    path, _, name = path_and_name.rpartition("/")
    return f"{path}/" if path else "/", name


def _real_principal(account_id: str, kind: str, name: str | None,
                    session_name: str | None) -> tuple[Principal | None, str]:
    """The principal as a real call would have it, or None and the sentence saying what does not exist."""
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return None, (f"Account {account_id} does not exist in this installation: there is no principal to "
                      "evaluate.")
    if kind == "Root":
        return Principal.root(account), ""
    if kind == "IAMUser":
        path, user_name = _split_path(name)
        user = IamUser.objects.filter(account=account, path=path, name=user_name).first()
        if user is None:
            return None, f"Account {account_id} has no IAM user {name.lstrip('/')}: nothing to evaluate."
        return Principal.for_user(user), ""
    roles = IamRole.objects.filter(account=account)
    if kind == "Role":
        path, role_name = _split_path(name)
        role = roles.filter(path=path, name=role_name).first()
    else:
        role_name, role = name, roles.filter(name=name).first()
    if role is None:
        return None, f"Account {account_id} has no IAM role {role_name}: nothing to evaluate."
    # A role acts through a session; an unsaved one is enough to evaluate (no session policy).
    return Principal.for_session(RoleSession(role=role, session_name=session_name or EXPLAINER_SESSION)), ""


def _foreign_caller(arn: str, account_id: str, kind: str, name: str | None, session_name: str | None) -> Caller:
    """Another account's principal as the key owner can name it, without looking into that account."""
    if kind == "Root":
        return Caller(arn=f"arn:aws:iam::{account_id}:root", account=account_id, kind="Root", user_id=account_id)
    if kind == "IAMUser":
        return Caller(arn=arn, account=account_id, kind="IAMUser", user_id="AIDAEXPLAINER",
                      username=_split_path(name)[1])
    role_name = _split_path(name)[1] if kind == "Role" else name
    role_arn = arn if kind == "Role" else f"arn:aws:iam::{account_id}:role/{role_name}"
    session = session_name or EXPLAINER_SESSION
    return Caller(arn=f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session}", account=account_id,
                  kind="AssumedRole", user_id=f"AROAEXPLAINER:{session}", role_arn=role_arn)


# ---- evaluation ----


def _request(key: Key, caller: Caller, action: str, region: str, source_ip: str) -> AccessRequest:
    call_like = SimpleNamespace(source_ip=source_ip, region=region, requested_alias=None)
    return AccessRequest(caller=caller, action=action, resource_arn=key.arn, resource_account=key.account_id,
                         region=region, context=request_context(call_like, key, action))


def _grants(key: Key, caller: Caller) -> list[GrantView]:
    names = {caller.arn, caller.root_arn} | ({caller.role_arn} if caller.role_arn else set())
    return [
        GrantView(grant_id=g.grant_id, grantee_principal=g.grantee_principal, operations=frozenset(g.operations),
                  constraints=g.constraints or None, retiring_principal=g.retiring_principal or None)
        for g in Grant.objects.filter(Q(key=key) & Q(grantee_principal__in=names))
    ]


def _is_key_side(reason: Reason) -> bool:
    return reason.source.startswith(("key-policy", "grant:"))


def _key_side(key: Key, request: AccessRequest, grants: list[GrantView]) -> tuple[Side, list[Reason]]:
    """What the key's account decides by itself (key policy, grants, the cross-account rules), found by asking
    the engine twice: with no IAM policy, and with one that allows exactly this action on this key."""
    caller, action = request.caller, request.action
    common = dict(key_policy=parse_policy_cached(key.policy), key_account=key.account_id, key_region=key.region,
                  grants=grants, caller_region_enabled=True)
    alone = evaluate_key_access(request, identity_policies=(), **common)
    assumed = NamedPolicy(name="<an IAM policy that allows it>", policy=parse_policy({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": key.arn}]}))
    with_iam = evaluate_key_access(request, identity_policies=(assumed,), **common)
    if alone.allowed:
        reasons = [r for r in alone.reasons if _is_key_side(r)]
        text = ("The key policy names this principal directly, so no IAM policy is needed."
                if caller.kind != "Root" else
                f"The key policy allows account {caller.account}, whose root user holds every permission of "
                "its own account.")
        if any(r.source.startswith("grant:") for r in reasons) and not any(
                r.source.startswith("key-policy") for r in reasons):
            text = "A grant names this principal, so no IAM policy is needed."
        return Side("allow", text), reasons
    if with_iam.allowed:
        reasons = [r for r in with_iam.reasons if _is_key_side(r)]
        source = reasons[0].source if reasons else "key-policy:?"
        what = (f"Grant {source[len('grant:'):]}" if source.startswith("grant:")
                else f"The key policy statement \"{source.split(':', 1)[1]}\"")
        whom = (f"account {caller.account}" if any("delegating" in r.detail for r in reasons)
                else caller.describe())
        return Side("allow-with-iam", (
            f"{what} allows {whom} to perform {action}, delegating to the IAM "
            f"policies of account {caller.account}: one of them must also allow it (the key policy decides who "
            "can, the IAM policy who does).")), reasons
    reasons = [r for r in with_iam.reasons if _is_key_side(r)]
    decision = "explicit-deny" if with_iam.effect is Effect.EXPLICIT_DENY else "deny"
    text = with_iam.explanation.replace("Denied: ", "", 1)
    if not text.startswith("kms:"):
        text = text[0].upper() + text[1:]
    return Side(decision, text), reasons


def _explain_with_every_policy(key, principal: Principal, asked: str, action: str, region: str,
                               source_ip: str, base: dict) -> Answer:
    """The key's account's own principal, or any principal for an operator: decided as a real call is."""
    caller = principal.caller()
    request = _request(key, caller, action, region, source_ip)
    grants = _grants(key, caller)
    decision = evaluate_key_access(
        request, key_policy=parse_policy_cached(key.policy), key_account=key.account_id, key_region=key.region,
        identity_policies=principal.identity_policies(), session_policy=principal.session_policy(),
        grants=grants, caller_region_enabled=principal.account.region_enabled(key.region))
    key_side, _ = _key_side(key, request, grants)
    caller_side = _caller_side(request, principal, key_side)
    return Answer(action=action, verdict=ALLOWED if decision.allowed else DENIED, effect=decision.effect.value,
                  explanation=decision.explanation, reasons=list(decision.reasons), key_side=key_side,
                  caller_side=caller_side, note=_session_note(principal, asked), **base)


def _caller_side(request: AccessRequest, principal: Principal, key_side: Side) -> Side:
    if key_side.decision == "allow":
        return Side("not-needed", "Not needed: " + key_side.summary[0].lower() + key_side.summary[1:])
    identity: Decision = evaluate_identity_access(request, identity_policies=principal.identity_policies(),
                                                  session_policy=principal.session_policy())
    decision = {Effect.ALLOW: "allow", Effect.EXPLICIT_DENY: "explicit-deny"}.get(identity.effect, "deny")
    holder = "the root user" if principal.kind == "Root" else request.caller.identity_holder()
    return Side(decision, f"For {holder}: {identity.explanation}")


def _session_note(principal: Principal, asked: str) -> str | None:
    if principal.session is not None and ":role/" in asked:
        return (f"A role acts through a session: evaluated as {principal.arn}, with no session policy.")
    return None


def _lower_first(text: str) -> str:
    return text if text.startswith("kms:") else text[:1].lower() + text[1:]


def _explain_key_side_only(key, asked, account_id, kind, name, session_name, action, region, source_ip,
                           base) -> Answer:
    """Another account's principal in the account view: the key side is certain, the IAM side unreadable."""
    caller = _foreign_caller(asked, account_id, kind, name, session_name)
    request = _request(key, caller, action, region, source_ip)
    key_side, reasons = _key_side(key, request, _grants(key, caller))
    unreadable = Side("not-visible", f"Decided by account {account_id}'s IAM policies, which this account "
                                     "cannot read.")
    who = {"Root": "its root user", "IAMUser": f"user {caller.username}",
           "Role": f"role {caller.role_name}"}.get(kind, f"role {caller.role_name} (session {session_name})")
    note = (f"This view does not say whether {who} exists: that is account {account_id}'s to know, as in AWS."
            if kind != "Root" else None)
    if key_side.decision in ("deny", "explicit-deny"):
        return Answer(action=action, verdict=DENIED, key_side=key_side,
                      caller_side=Side("not-needed", f"Irrelevant: no IAM policy in account {account_id} can "
                                                     "open a key its key policy keeps closed."),
                      reasons=reasons, effect=(Effect.EXPLICIT_DENY if key_side.decision == "explicit-deny"
                                               else Effect.IMPLICIT_DENY).value,
                      explanation=(f"Denied: {_lower_first(key_side.summary)} No IAM policy in account "
                                   f"{account_id} can change that: a principal of another account needs the key "
                                   "policy (or a grant) AND its own IAM policy."), note=note, **base)
    region_caveat = ""
    if key.region in OPT_IN_REGIONS:
        region_caveat = (f" The key is in {key.region}, an opt-in Region: account {account_id} must also "
                         "have enabled it, which this account cannot see.")
    if key_side.decision == "allow" and not region_caveat:
        return Answer(action=action, verdict=ALLOWED, effect=Effect.ALLOW.value, key_side=key_side,
                      caller_side=Side("not-needed", "Not needed: " + key_side.summary[0].lower()
                                       + key_side.summary[1:]),
                      reasons=reasons, explanation=f"Allowed: {key_side.summary}", note=note, **base)
    if key_side.decision == "allow":
        explanation = f"The key side allows it: {key_side.summary}{region_caveat}"
        unreadable = Side("not-visible", f"Decided by account {account_id}, whose enabled Regions this account "
                                         "cannot see.")
    else:
        granted = key_side.summary.split(", delegating", 1)[0]
        explanation = (f"{granted}. The rest is decided by account {account_id}'s IAM policies, which this "
                       f"account cannot read: {who} may perform {action} only if one of them allows it."
                       f"{region_caveat}")
    return Answer(action=action, verdict=DEPENDS, key_side=key_side, caller_side=unreadable, reasons=reasons,
                  explanation=explanation, note=note, **base)


# ---- "Use a key by ARN": the caller's own side ----


def explain_own_iam(principal: Principal, action: str, key_identifier: str, *, region: str,
                    source_ip: str) -> dict:
    """Which of the caller's OWN IAM policies allow `action` on the key it named (it may see its own)."""
    identifier = key_identifier.strip()
    match = _KEY_ARN.match(identifier)
    resource = identifier if match else "*"
    caller = principal.caller()
    request = AccessRequest(caller=caller, action=action, resource_arn=resource,
                            resource_account=match.group(2) if match else None, region=region,
                            context={"aws:SourceIp": source_ip, "aws:RequestedRegion": region})
    decision = evaluate_identity_access(request, identity_policies=principal.identity_policies(),
                                        session_policy=principal.session_policy())
    note = None
    if not match:
        note = ("IAM policies name keys by key ARN; an alias ARN or key id cannot be matched against them, so "
                "this shows what your policies allow on any resource.")
    return {"allowed": decision.allowed, "effect": decision.effect.value, "explanation": decision.explanation,
            "reasons": list(decision.reasons), "holder": caller.identity_holder(), "resource": resource,
            "note": note}
