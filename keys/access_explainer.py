"""The console's "Access" tab and the caller's own-side view on "Use a key by ARN": hypothetical requests
evaluated with policies.engine, changing nothing.

The key owner sees everything on its side (key policy, grants, and the IAM policies of its own account's
principals). For a principal of another account it cannot see that account's IAM policies, so the answer
is split: what the key policy decides here, and what the other account must still allow ("the key policy
decides who CAN, the IAM policy in the caller's account decides who DOES").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Q

from accounts.models import Account, IamRole, IamUser, RoleSession
from accounts.principals import Principal
from keys.authz import request_context
from keys.models import Grant, Key
from policies.engine import (AccessRequest, Caller, Decision, GrantView, NamedPolicy, evaluate_identity_access,
                             evaluate_key_access)
from policies.grammar import parse_policy, parse_policy_cached

_ROOT = re.compile(r"^arn:aws:iam::(\d{12}):root$")
_USER_OR_ROLE = re.compile(r"^arn:aws:iam::(\d{12}):(user|role)(/(?:[^/]+/)*)([^/]+)$")
_SESSION = re.compile(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)/([^/]+)$")
_KEY_ARN = re.compile(r"^arn:aws:kms:([a-z0-9-]+):(\d{12}):key/.+$")
EXPLAINER_SESSION = "AccessExplainer"


@dataclass
class Answer:
    principal_arn: str
    action: str
    effect: str                       # Allow | ExplicitDeny | ImplicitDeny
    explanation: str
    reasons: list = field(default_factory=list)
    cross_account: bool = False
    # Another account's principal: the key-policy side decided here, and what its own account must add.
    key_side_allows: bool | None = None
    caller_account_must: str | None = None


def parse_principal_arn(text: str) -> tuple[str, str, str | None, str | None]:
    """(account id, kind, name, session name) of a principal ARN or a bare account id; ValueError if neither."""
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
    raise ValueError(f"{text} is not a principal ARN: use arn:aws:iam::<account>:root, "
                     ":user/<name>, :role/<name>, or arn:aws:sts::<account>:assumed-role/<role>/<session>.")


def explain_access(key: Key, principal_arn: str, action: str, *, region: str, source_ip: str) -> Answer:
    account_id, kind, name, session_name = parse_principal_arn(principal_arn)
    if account_id == key.account_id:
        return _explain_own_account(key, account_id, kind, name, session_name, action, region, source_ip)
    return _explain_other_account(key, principal_arn.strip(), account_id, kind, name, session_name, action,
                                  region, source_ip)


def _split_path(path_and_name: str) -> tuple[str, str]:
    path, _, name = path_and_name.rpartition("/")
    return f"{path}/" if path else "/", name


def _own_principal(account: Account, kind: str, name: str | None, session_name: str | None) -> Principal:
    if kind == "Root":
        return Principal.root(account)
    if kind == "IAMUser":
        path, user_name = _split_path(name)
        user = IamUser.objects.filter(account=account, path=path, name=user_name).first()
        if user is None:
            raise ValueError(f"Account {account.id} has no IAM user {name.lstrip('/')}.")
        return Principal.for_user(user)
    role_name = _split_path(name)[1] if kind == "Role" else name
    role = IamRole.objects.filter(account=account, name=role_name).first()
    if role is None:
        raise ValueError(f"Account {account.id} has no IAM role {role_name}.")
    # A role acts through a session; an unsaved one is enough to evaluate (no session policy).
    return Principal.for_session(RoleSession(role=role, session_name=session_name or EXPLAINER_SESSION))


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


def _answer(decision: Decision, principal_arn: str, action: str) -> Answer:
    return Answer(principal_arn=principal_arn, action=action, effect=decision.effect.value,
                  explanation=decision.explanation, reasons=list(decision.reasons),
                  cross_account=decision.cross_account)


def _explain_own_account(key, account_id, kind, name, session_name, action, region, source_ip) -> Answer:
    principal = _own_principal(key.account, kind, name, session_name)
    caller = principal.caller()
    decision = evaluate_key_access(
        _request(key, caller, action, region, source_ip),
        key_policy=parse_policy_cached(key.policy), key_account=key.account_id, key_region=key.region,
        identity_policies=principal.identity_policies(), session_policy=principal.session_policy(),
        grants=_grants(key, caller), caller_region_enabled=True)
    return _answer(decision, caller.arn, action)


def _foreign_caller(arn: str, account_id: str, kind: str, name: str | None, session_name: str | None) -> Caller:
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


def _explain_other_account(key, arn, account_id, kind, name, session_name, action, region, source_ip) -> Answer:
    caller = _foreign_caller(arn, account_id, kind, name, session_name)
    request = _request(key, caller, action, region, source_ip)
    common = dict(key_policy=parse_policy_cached(key.policy), key_account=key.account_id, key_region=key.region,
                  grants=_grants(key, caller), caller_region_enabled=True)
    # The other account's IAM policies are invisible from here: ask the engine twice, once with none and
    # once with one that allows exactly this action on this key, to isolate what the key side decides.
    without_iam = evaluate_key_access(request, identity_policies=(), **common)
    assumed_iam = NamedPolicy(name=f"<an IAM policy of account {account_id}>", policy=parse_policy({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": key.arn}]}))
    with_iam = evaluate_key_access(request, identity_policies=(assumed_iam,), **common)

    holder = caller.identity_holder() if kind != "Root" else f"the root user of {account_id}"
    if without_iam.allowed:
        answer = _answer(without_iam, caller.arn, action)
        answer.key_side_allows = True
        return answer
    if with_iam.allowed:
        answer = _answer(with_iam, caller.arn, action)
        answer.reasons = [r for r in with_iam.reasons if not r.source.startswith("iam:<")]
        answer.effect = without_iam.effect.value
        answer.key_side_allows = True
        answer.explanation = (
            f"The key policy allows {_who(caller, with_iam)} to perform {action}, but that is only half of it: "
            f"the key policy decides who CAN, the IAM policy in the caller's account decides who DOES. "
            f"Account {account_id} must still attach an IAM policy to {holder} that allows {action} on "
            f"{key.arn}; the key owner cannot see that account's IAM policies.")
        answer.caller_account_must = (f"Allow {action} on {key.arn} in an IAM policy attached to {holder} "
                                      f"(account {account_id}).")
        return answer
    answer = _answer(without_iam, caller.arn, action)
    answer.key_side_allows = False
    answer.explanation = (f"{without_iam.explanation} No IAM policy in account {account_id} can change that: "
                          "a principal of another account needs the key policy (or a grant) AND its own IAM "
                          "policy.")
    return answer


def _who(caller: Caller, decision: Decision) -> str:
    if any("delegating" in r.detail for r in decision.reasons):
        return f"account {caller.account}"
    return caller.describe()


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
