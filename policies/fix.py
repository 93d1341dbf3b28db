"""Denial to fix: the smallest policy change that would allow a denied key request, found with the engine.

Pure, like the engine: the caller (keys/denial_fix.py) says what the reader may see. A side the reader cannot
read (another account's key policy or IAM policies) is assumed to allow for the search, and its statement is
then given as a snippet for that account's administrator, never as a verdict.

The search tries one statement on one side, then one on each side, and keeps the first set the engine allows;
among single changes the one the reader may apply comes first. A proposed statement names the exact principal
ARN (the role for a session), the exact action and the key ARN: never "*" principals nor `kms:*`.
An explicit Deny cannot be outweighed by any Allow, so it is reported with the statements to remove or narrow.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from policies.actions import canonical_action
from policies.engine import (AccessRequest, Caller, Decision, Effect, GrantView, NamedPolicy, Reason,
                             evaluate_key_access)
from policies.grammar import parse_policy

KEY_POLICY, IAM = "key-policy", "iam"
# Fix statuses
NOTHING_TO_FIX, CHANGES, EXPLICIT_DENY, NO_POLICY_FIX = "allowed", "changes", "explicit-deny", "no-policy-fix"
EMPTY_POLICY = {"Version": "2012-10-17", "Statement": []}


@dataclass(frozen=True)
class IamTarget:
    """Where a statement for the caller's IAM side goes: an inline policy of its user or role (Put*Policy), or a
    customer managed policy attached to it (CreatePolicyVersion, set as default)."""

    operation: str                  # PutUserPolicy | PutRolePolicy | CreatePolicyVersion
    owner_name: str                 # user or role name
    policy_name: str
    policy_arn: str | None = None   # for CreatePolicyVersion
    document: dict | None = None    # its current document; None for a new inline policy or an unreadable one

    @property
    def resource_arn(self) -> str:
        return self.policy_arn or ""


@dataclass
class Change:
    side: str                       # key-policy | iam
    account: str                    # the account whose policy changes
    operation: str                  # PutKeyPolicy | PutUserPolicy | PutRolePolicy | CreatePolicyVersion
    target: str                     # key ARN, user/role name, or managed policy ARN
    policy_name: str
    statement: dict
    before: dict | None             # None: this reader cannot read that policy
    after: dict | None
    may_apply: bool = False
    required: bool = True           # False: needed only if that account's policies do not already allow it

    @property
    def readable(self) -> bool:
        return self.before is not None

    def diff_lines(self) -> list[tuple[str, str]]:
        """(kind, text) lines of a unified diff of the policy, kind in add | del | hunk | same."""
        if self.before is None or self.after is None:
            return [("add", line) for line in pretty(self.statement).splitlines()]
        old, new = pretty(self.before).splitlines(), pretty(self.after).splitlines()
        out = []
        for line in difflib.unified_diff(old, new, "before", "after", n=3, lineterm=""):
            if line.startswith(("---", "+++")):
                continue
            kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
            out.append((kind, line))
        return out

    def snippet(self) -> str:
        return pretty(self.statement)

    def as_dict(self) -> dict:
        return {"side": self.side, "account": self.account, "operation": self.operation, "target": self.target,
                "policy_name": self.policy_name, "statement": self.statement, "readable": self.readable,
                "may_apply": self.may_apply, "required": self.required,
                "diff": "\n".join(text for _, text in self.diff_lines())}


@dataclass
class Fix:
    status: str
    explanation: str
    changes: list[Change] = field(default_factory=list)
    denies: list[Reason] = field(default_factory=list)     # explicit Deny statements to remove or narrow

    def as_dict(self) -> dict:
        return {"status": self.status, "explanation": self.explanation,
                "changes": [c.as_dict() for c in self.changes],
                "denies": [{"source": r.source, "detail": r.detail} for r in self.denies]}


def pretty(document) -> str:
    return json.dumps(document, indent=4)


def principal_arn_for(caller: Caller) -> str:
    """The ARN a policy names for the caller: a session is named by its role, as policies usually do."""
    return caller.role_arn if caller.kind == "AssumedRole" and caller.role_arn else caller.arn


def _sid(action: str, caller: Caller) -> str:
    name = {"Root": "Root"}.get(caller.kind) or principal_arn_for(caller).rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9]", "", f"Allow{action.split(':', 1)[-1]}For{name}")[:100]


def key_policy_statement(request: AccessRequest) -> dict:
    return {"Sid": _sid(request.action, request.caller), "Effect": "Allow",
            "Principal": {"AWS": principal_arn_for(request.caller)},
            "Action": request.action, "Resource": request.resource_arn}


def iam_statement(request: AccessRequest) -> dict:
    return {"Sid": _sid(request.action, request.caller), "Effect": "Allow", "Action": request.action,
            "Resource": request.resource_arn}


def with_statement(document: dict | None, statement: dict) -> dict:
    """A copy of `document` with `statement` appended (a Sid already used gets a number)."""
    out = copy.deepcopy(document) if document else copy.deepcopy(EMPTY_POLICY)
    statements = out.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    used = {s.get("Sid") for s in statements if isinstance(s, dict)}
    statement = dict(statement)
    base, number = statement["Sid"], 2
    while statement["Sid"] in used:
        statement["Sid"], number = f"{base}{number}", number + 1
    out["Statement"] = statements + [statement]
    return out


def smallest_fix(request: AccessRequest, *, key_policy: dict | None, key_account: str, key_region: str,
                 identity_policies: Sequence[NamedPolicy] | None, iam_target: IamTarget | None,
                 session_policy=None, grants: Sequence[GrantView] = (), caller_region_enabled: bool = True,
                 may_apply: Callable[[Change], bool] = lambda change: False) -> Fix:
    """The smallest change that lets `request` in. `key_policy` None: the reader cannot read the key policy;
    `identity_policies` None: it cannot read the caller's IAM policies (then `iam_target` is only a name)."""
    action = canonical_action(request.action)
    if action is None or not action.startswith("kms:"):
        return Fix(NO_POLICY_FIX, f"{request.action} is not a KMS action this installation knows.")
    request = AccessRequest(caller=request.caller, action=action, resource_arn=request.resource_arn,
                            resource_account=request.resource_account, region=request.region,
                            context=request.context, encryption_context=request.encryption_context)
    caller = request.caller
    key_known, iam_known = key_policy is not None, identity_policies is not None
    key_stmt, iam_stmt = key_policy_statement(request), iam_statement(request)
    iam_name = f"<an IAM policy of account {caller.account}>"

    def decide(add_key: bool, add_iam: bool) -> Decision:
        document = key_policy if key_known else EMPTY_POLICY
        if add_key or not key_known:
            document = with_statement(document, key_stmt)
        policies = list(identity_policies) if iam_known else []
        if add_iam or not iam_known:
            policies.append(NamedPolicy(iam_name, parse_policy({"Version": "2012-10-17", "Statement": [iam_stmt]})))
        return evaluate_key_access(request, key_policy=parse_policy(document), key_account=key_account,
                                   key_region=key_region, identity_policies=policies, session_policy=session_policy,
                                   grants=grants, caller_region_enabled=caller_region_enabled)

    def key_change(required=True) -> Change:
        return Change(KEY_POLICY, key_account, "PutKeyPolicy", request.resource_arn, "default", key_stmt,
                      key_policy, with_statement(key_policy, key_stmt) if key_known else None, required=required)

    def iam_change(required=True) -> Change:
        target = iam_target or IamTarget("", "", "")
        before = target.document if iam_known else None
        if iam_known and before is None:
            before = EMPTY_POLICY    # a new inline policy
        return Change(IAM, caller.account, target.operation, target.policy_arn or target.owner_name,
                      target.policy_name, iam_stmt, before, with_statement(before, iam_stmt) if iam_known else None,
                      required=required)

    now = decide(False, False)
    if now.effect is Effect.EXPLICIT_DENY:
        denies = [r for r in now.reasons if r.effect == "Deny"]
        return Fix(EXPLICIT_DENY, f"An explicit deny decides: remove or narrow {_sources(denies)}; no Allow "
                                  "statement can outweigh it.", denies=denies)
    if now.denial in ("not-cross-account-operation", "region-not-enabled", "no-session-policy"):
        return Fix(NO_POLICY_FIX, now.explanation + (" No policy change can allow it." if now.denial !=
                                                     "no-session-policy" else
                                                     " A session policy is fixed when the session starts: "
                                                     "assume the role again without it."))
    if now.allowed:
        if key_known and iam_known:
            return Fix(NOTHING_TO_FIX, now.explanation)
        unknown = iam_change() if not iam_known else key_change()
        return Fix(CHANGES, _unknown_side_text(unknown, caller, key_account, only=True), [unknown])

    singles = []
    if key_known:
        singles.append(key_change())
    if iam_known and iam_target is not None:
        singles.append(iam_change())
    for change in singles:
        change.may_apply = may_apply(change)
    singles.sort(key=lambda c: not c.may_apply)
    chosen: list[Change] = []
    for change in singles:
        if decide(change.side == KEY_POLICY, change.side == IAM).allowed:
            chosen = [change]
            break
    else:
        if len(singles) == 2 and decide(True, True).allowed:
            chosen = singles
    if not chosen:
        return Fix(NO_POLICY_FIX, now.explanation + " No single statement on either side allows it.")
    if not key_known:
        chosen.append(key_change(required=False))
    if not iam_known:
        chosen.append(iam_change(required=False))
    explanation = "; ".join(_change_text(c, caller, key_account) for c in chosen) + "."
    return Fix(CHANGES, explanation[0].upper() + explanation[1:], chosen)


def _sources(reasons: list[Reason]) -> str:
    return ", ".join(r.source for r in reasons)


def _change_text(change: Change, caller: Caller, key_account: str) -> str:
    if not change.readable:
        return _unknown_side_text(change, caller, key_account, only=False)
    if change.side == KEY_POLICY:
        return f"add one statement to the key policy (account {key_account}) that names {principal_arn_for(caller)}"
    where = (f"customer managed policy {change.policy_name} (a new default version)"
             if change.operation == "CreatePolicyVersion" else f"inline policy {change.policy_name} of "
             f"{caller.identity_holder()}")
    return f"add one statement to IAM {where} in account {caller.account}"


def _unknown_side_text(change: Change, caller: Caller, key_account: str, *, only: bool) -> str:
    lead = "everything this account can see allows it, so " if only else ""
    if change.side == IAM:
        return (f"{lead}account {caller.account} must allow {change.statement['Action']} on "
                f"{change.statement['Resource']} in an IAM policy attached to {caller.identity_holder()} "
                "(this account cannot read that account's IAM policies)")
    return (f"{lead}account {key_account} must allow {principal_arn_for(caller)} {change.statement['Action']} in "
            "the key policy (this account cannot read that key policy)")
