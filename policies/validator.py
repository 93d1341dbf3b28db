"""Every problem of a policy document at once, each with severity, code, JSON path and message.

Grammar errors come from `grammar.collect_findings`; this module adds what only a
KMS-aware reader can say: unknown actions, risky wildcards, permissions that can never
take effect across accounts, identity permissions the key policy never grants.
"""

from __future__ import annotations

import re
from typing import Callable

from policies.actions import (CROSS_ACCOUNT_OPERATIONS, IAM_ONLY_OPERATIONS, KEY_RESOURCE_ACTIONS,
                              KMS_ACTIONS, is_cross_account_action, is_known_condition_key)
from policies.grammar import (IDENTITY_POLICY, KEY_POLICY, POLICY_TYPES, TRUST_POLICY, Finding, Policy,
                              PRINCIPAL_ARN, Statement, collect_findings)
from policies.matching import ActionMatcher

__all__ = ["Finding", "validate_policy", "INVALID_PRINCIPALS_MESSAGE", "NO_PRINCIPAL_MESSAGE"]

NO_PRINCIPAL_MESSAGE = "Policy contains a statement with no principal."
INVALID_PRINCIPALS_MESSAGE = "Policy contains a statement with one or more invalid principals."
_IAM_ONLY = frozenset("kms:" + op for op in IAM_ONLY_OPERATIONS)
_CROSS = frozenset("kms:" + op for op in CROSS_ACCOUNT_OPERATIONS)


def validate_policy(document: str | dict, policy_type: str, *, key_account: str | None = None,
                    principal_exists: Callable[[str], bool] | None = None,
                    key_policy: Policy | None = None, policy_account: str | None = None) -> list[Finding]:
    """All findings for `document` read as `policy_type` ("KEY_POLICY" | "IDENTITY_POLICY" | "TRUST_POLICY").

    `principal_exists(arn)` is asked about every named AWS principal (bare account ids are
    passed as root ARNs); `key_policy`, for an identity policy, lets the validator point out
    KMS permissions that key policy never grants; `policy_account`, the account an identity
    policy belongs to, lets it point out KMS permissions on other accounts' keys that never work.
    """
    if policy_type not in POLICY_TYPES:
        raise ValueError(f"policy_type must be one of {POLICY_TYPES}, not {policy_type!r}")
    result = collect_findings(document, policy_type)
    findings = list(result.findings)
    if policy_type == IDENTITY_POLICY and result.data is not None:
        findings += _key_name_findings(result)
    if result.policy is None:
        return findings
    for statement in result.policy.statements:
        path = result.statement_path(statement.index)
        raw = result.raw_statement(statement.index)
        findings += _action_findings(statement, raw, path)
        findings += _condition_findings(statement, path)
        if policy_type in (KEY_POLICY, TRUST_POLICY):
            findings += _principal_findings(statement, raw, path, principal_exists)
        if policy_type == KEY_POLICY:
            findings += _key_policy_findings(statement, path, key_account)
        if policy_type == IDENTITY_POLICY:
            findings += _identity_findings(statement, path, key_policy)
            if policy_account is not None:
                findings += _foreign_key_findings(statement, raw, path, policy_account)
    return findings


def _action_paths(statement: Statement, raw: dict, path: str):
    name = "Action" if statement.actions else "NotAction"
    values = statement.actions or statement.not_actions
    listed = isinstance(raw.get(name), list)
    for i, action in enumerate(values):
        yield action, (f"{path}.{name}[{i}]" if listed else f"{path}.{name}")


def _action_findings(statement: Statement, raw: dict, path: str) -> list[Finding]:
    out = []
    for action, where in _action_paths(statement, raw, path):
        if not action.lower().startswith("kms:"):
            continue
        if not expand_actions((action,)):
            out.append(Finding("ERROR", "UNKNOWN_ACTION", where,
                               f"{action} is not a KMS action (and matches none)."))
    return out


def _condition_findings(statement: Statement, path: str) -> list[Finding]:
    out, reported = [], set()
    for clause in statement.conditions:
        where = f"{path}.Condition.{clause.operator}"
        if not clause.known and clause.operator not in reported:
            reported.add(clause.operator)
            out.append(Finding("ERROR", "UNKNOWN_CONDITION_OPERATOR", where,
                               f"{clause.operator} is not a condition operator (names are case-sensitive); "
                               "the statement can never apply."))
        if not is_known_condition_key(clause.key):
            out.append(Finding("WARNING", "UNKNOWN_CONDITION_KEY", f"{where}.{clause.key}",
                               f"{clause.key} is not a KMS or global condition key; requests never carry it."))
    return out


def _principal_findings(statement: Statement, raw: dict, path: str,
                        principal_exists: Callable[[str], bool] | None) -> list[Finding]:
    out = []
    spec = statement.principal or statement.not_principal
    element = "Principal" if statement.principal is not None else "NotPrincipal"
    if spec is None:
        return out
    if statement.effect == "Allow" and statement.principal is not None and spec.wildcard \
            and not statement.conditions:
        out.append(Finding("SECURITY_WARNING", "PRINCIPAL_STAR_WITHOUT_CONDITION", f"{path}.Principal",
                           "Principal \"*\" without a condition allows every identity in every AWS account "
                           "that its own IAM policies let in."))
    if statement.effect == "Deny" and statement.not_principal is not None:
        out.append(Finding("WARNING", "DENY_WITH_NOT_PRINCIPAL", f"{path}.NotPrincipal",
                           "Deny with NotPrincipal is hard to get right; prefer Principal \"*\" with an "
                           "aws:PrincipalArn condition."))
    if principal_exists is None:
        return out
    raw_aws = raw.get(element, {}).get("AWS") if isinstance(raw.get(element), dict) else None
    entries = [raw_aws] if isinstance(raw_aws, str) else (raw_aws or [])
    for i, entry in enumerate(entries):
        if entry == "*":
            continue
        arn = f"arn:aws:iam::{entry}:root" if entry.isdigit() else entry
        if not principal_exists(arn):
            where = f"{path}.{element}.AWS[{i}]" if isinstance(raw_aws, list) else f"{path}.{element}.AWS"
            out.append(Finding("ERROR", "INVALID_PRINCIPAL", where,
                               f"{INVALID_PRINCIPALS_MESSAGE} ({entry} does not exist)"))
    return out


def _key_policy_findings(statement: Statement, path: str, key_account: str | None) -> list[Finding]:
    out = []
    if statement.effect != "Allow":
        return out
    granted = expand_statement_actions(statement)
    iam_only = sorted(a for a in granted if a in _IAM_ONLY)
    if iam_only and statement.actions and all(a.lower() in {x.lower() for x in iam_only}
                                              for a in statement.actions):
        out.append(Finding("WARNING", "IAM_ONLY_ACTION", f"{path}.Action",
                           f"{', '.join(iam_only)} can only be granted in IAM policies; in a key policy it has "
                           "no effect."))
    if statement.resources and not statement.resource_any:
        out.append(Finding("SUGGESTION", "KEY_POLICY_RESOURCE", f"{path}.Resource",
                           "In a key policy Resource is normally \"*\", meaning this key."))
    if key_account is None or statement.principal is None:
        return out
    external = sorted({_account_of(arn) for arn in statement.principal.aws} - {key_account, None})
    not_cross = sorted(a for a in granted if a not in _CROSS and a not in _IAM_ONLY)
    if external and not_cross:
        shown = ", ".join(not_cross[:6]) + (f" and {len(not_cross) - 6} more" if len(not_cross) > 6 else "")
        out.append(Finding("WARNING", "CROSS_ACCOUNT_NO_EFFECT", f"{path}.Action",
                           f"Account(s) {', '.join(external)} cannot use {shown}: only cryptographic, describe "
                           "and grant operations work across accounts, so these permissions have no effect."))
    return out


def _identity_findings(statement: Statement, path: str, key_policy: Policy | None) -> list[Finding]:
    out = []
    if statement.effect != "Allow":
        return out
    key_actions = [a for a in expand_statement_actions(statement) if a in _KEY_ACTIONS]
    if not key_actions:
        return out
    if statement.resource_any:
        out.append(Finding("SECURITY_WARNING", "IAM_RESOURCE_STAR", f"{path}.Resource",
                           "Resource \"*\" gives these KMS permissions on every key whose key policy lets this "
                           "account in, in this account and in any other, which is likely more keys than you "
                           "mean to; list the key ARNs of the keys this identity should use instead."))
    if any(":alias/" in r for r in statement.resources):
        out.append(Finding("WARNING", "ALIAS_ARN_IN_RESOURCE", f"{path}.Resource",
                           "An alias ARN in Resource does not match key operations; use the key ARN or the "
                           "kms:RequestAlias / kms:ResourceAliases condition keys."))
    if key_policy is not None:
        never = sorted(a for a in key_actions if not _key_policy_grants(key_policy, a))
        if never:
            shown = ", ".join(never[:6]) + (f" and {len(never) - 6} more" if len(never) > 6 else "")
            out.append(Finding("WARNING", "NOT_EFFECTIVE_IN_KEY_POLICY", f"{path}.Action",
                               f"The key policy never allows {shown}, so this IAM permission has no effect "
                               "on that key."))
    return out


_KEY_ACTIONS = frozenset(KEY_RESOURCE_ACTIONS)
# A key named without an ARN: a key id (multi-Region ones start with mrk-) or an alias name.
_BARE_KEY_NAME = re.compile(r"(?:mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z|(?:mrk-)?[0-9a-f]{32}\Z"
                            r"|alias/\S+\Z")
_KEY_ARN = re.compile(r"arn:[\w-]+:kms:[^:]*:(?P<account>\d{12}):key/")


def _foreign_key_findings(statement: Statement, raw: dict, path: str, policy_account: str) -> list[Finding]:
    """KMS actions that only work in the key's own account, allowed on keys of another account."""
    if statement.effect != "Allow" or not statement.resources:
        return []
    never = [a for a in expand_statement_actions(statement) if a in _KEY_ACTIONS and not is_cross_account_action(a)]
    if not never:
        return []
    shown = ", ".join(never[:6]) + (f" and {len(never) - 6} more" if len(never) > 6 else "")
    out = []
    for i, resource in enumerate(statement.resources):
        match = _KEY_ARN.match(resource)
        if match is None or match["account"] == policy_account:
            continue
        where = f"{path}.Resource[{i}]" if isinstance(raw.get("Resource"), list) else f"{path}.Resource"
        out.append(Finding("WARNING", "KMS_ACTION_NOT_CROSS_ACCOUNT", where,
                           f"{shown} can never work on a key of account {match['account']}: only the "
                           "cryptographic, describe and grant operations work on another account's key, "
                           "whatever its key policy and this policy say."))
    return out


def _key_name_findings(result) -> list[Finding]:
    """Keys named by key id or alias name in Resource. Read from the raw document, because the grammar
    already refuses such a statement (not an ARN) and leaves it out of the parsed policy."""
    raw = result.data.get("Statement")
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not _mentions_kms(item.get("Action")):
            continue
        value = item.get("Resource")
        resources = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        for i, resource in enumerate(resources):
            if not isinstance(resource, str) or not _BARE_KEY_NAME.match(resource):
                continue
            where = f"{result.statement_path(index)}.Resource" + (f"[{i}]" if isinstance(value, list) else "")
            out.append(Finding("WARNING", "KMS_KEY_NOT_NAMED_BY_ARN", where,
                               f"{resource} is not an ARN: a key id or alias name alone means a key of the caller's "
                               "own account, and IAM matches Resource against the ARN of the key a request uses, "
                               "so this never matches; name the key by its key ARN "
                               "(arn:aws:kms:<region>:<account>:key/<key id>), the only way to reach another "
                               "account's key too."))
    return out


def _mentions_kms(actions: object) -> bool:
    values = [actions] if isinstance(actions, str) else actions if isinstance(actions, list) else []
    return any(isinstance(a, str) and (a == "*" or a.lower().startswith("kms:")) for a in values)


def _key_policy_grants(key_policy: Policy, action: str) -> bool:
    lowered = action.lower()
    return any(s.effect == "Allow" and s.matches_action(lowered) for s in key_policy.statements)


def _account_of(principal_arn: str) -> str | None:
    match = PRINCIPAL_ARN.match(principal_arn)
    return match.group("account") if match else None


def expand_actions(patterns: tuple[str, ...]) -> list[str]:
    """Catalogue KMS actions matched by some of `patterns`."""
    matcher = ActionMatcher(patterns)
    return [a for a in KMS_ACTIONS if matcher.matches(a.lower())]


def expand_statement_actions(statement: Statement) -> list[str]:
    """Catalogue KMS actions a statement's Action / NotAction covers."""
    return [a for a in KMS_ACTIONS if statement.matches_action(a.lower())]


# re-exported for the checker of cross-account rules in tests
__all__ += ["expand_actions", "expand_statement_actions", "is_cross_account_action"]
