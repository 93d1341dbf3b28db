"""What the console's key-policy "default view" does to a key policy document (kms.md §4.3, §4.4, §9.2).

Pure functions on parsed policy documents (dicts): each returns a new document and leaves its argument
alone. The console saves the result with PutKeyPolicy through the engine, so the validator and the lockout
check still decide whether the change is allowed.

The default view knows four statements by their Sid: "Enable IAM User Permissions", "Allow access for Key
Administrators", "Allow use of the key" and "Allow attachment of persistent resources". A policy whose
statements it cannot read as those is shown only as JSON, as AWS does.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from keys.store import (_ADMIN_ACTIONS, _ADMIN_DELETION_ACTIONS, _PERSISTENT_RESOURCE_ACTIONS, ADMINS_SID,
                        ENABLE_IAM_SID, PERSISTENT_RESOURCES_SID, USE_SID, key_user_actions)

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_ROOT_ARN = re.compile(r"^arn:aws:iam::([0-9]{12}):root$")
_GRANT_FOR_AWS_RESOURCE = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
_KNOWN_SIDS = {ENABLE_IAM_SID, ADMINS_SID, USE_SID, PERSISTENT_RESOURCES_SID}


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def is_account_id(value: str) -> bool:
    return bool(ACCOUNT_ID.match(value or ""))


# ----------------------------------------------------------------------------------------------------------
# Principal lists
# ----------------------------------------------------------------------------------------------------------


def _aws_principals(statement: dict) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return []
    value = principal.get("AWS", [])
    return [value] if isinstance(value, str) else list(value)


def _set_aws_principals(statement: dict, arns: list[str]):
    # KMS stores a one-element list as a plain string; keep that form so the JSON reads like AWS's.
    statement["Principal"] = {"AWS": arns[0] if len(arns) == 1 else arns}


def _find(document: dict, sid: str) -> dict | None:
    return next((s for s in _statements(document) if isinstance(s, dict) and s.get("Sid") == sid), None)


def _statements(document: dict) -> list:
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
        document["Statement"] = statements
    return statements


def _add_principal(statement: dict, arn: str):
    arns = _aws_principals(statement)
    if arn not in arns:
        _set_aws_principals(statement, arns + [arn])


def _remove_principal(document: dict, sid: str, arn: str):
    statement = _find(document, sid)
    if statement is None:
        return
    remaining = [a for a in _aws_principals(statement) if a != arn]
    if remaining:
        _set_aws_principals(statement, remaining)
    else:
        # KMS refuses a statement with no principal ("Policy contains a statement with no principal.").
        document["Statement"] = [s for s in _statements(document) if s is not statement]


def _use_statement(arn: str, key_spec: str, key_usage: str) -> dict:
    return {"Sid": USE_SID, "Effect": "Allow", "Principal": {"AWS": arn},
            "Action": key_user_actions(key_spec, key_usage), "Resource": "*"}


def _persistent_resources_statement(arn: str) -> dict:
    return {"Sid": PERSISTENT_RESOURCES_SID, "Effect": "Allow", "Principal": {"AWS": arn},
            "Action": list(_PERSISTENT_RESOURCE_ACTIONS), "Resource": "*",
            "Condition": copy.deepcopy(_GRANT_FOR_AWS_RESOURCE)}


def _insert_after(document: dict, statement: dict, after_sids: list[str]):
    """Put a new statement where the console would: after the last of `after_sids` present, else at the end."""
    statements = _statements(document)
    position = len(statements)
    for index, existing in enumerate(statements):
        if isinstance(existing, dict) and existing.get("Sid") in after_sids:
            position = index + 1
    statements.insert(position, statement)


# ----------------------------------------------------------------------------------------------------------
# Key users and other AWS accounts
# ----------------------------------------------------------------------------------------------------------


def add_key_users(document: dict, arns: list[str], key_spec: str, key_usage: str) -> dict:
    """Put principal ARNs into both key-user statements, inserting the statements when absent.

    "Allow attachment of persistent resources" is written only for symmetric encryption keys (§4.3): AWS
    services attach only those to their resources, so HMAC and asymmetric keys never get it.
    """
    result = copy.deepcopy(document)
    for arn in arns:
        use = _find(result, USE_SID)
        if use is None:
            _insert_after(result, _use_statement(arn, key_spec, key_usage), [ENABLE_IAM_SID, ADMINS_SID])
        else:
            _add_principal(use, arn)
        if key_spec == "SYMMETRIC_DEFAULT":
            attach = _find(result, PERSISTENT_RESOURCES_SID)
            if attach is None:
                _insert_after(result, _persistent_resources_statement(arn), [ENABLE_IAM_SID, ADMINS_SID, USE_SID])
            else:
                _add_principal(attach, arn)
    return result


def remove_key_user(document: dict, arn: str) -> dict:
    result = copy.deepcopy(document)
    for sid in (USE_SID, PERSISTENT_RESOURCES_SID):
        _remove_principal(result, sid, arn)
    return result


def insert_external_account_statements(document: dict, account_id: str, key_spec: str, key_usage: str) -> dict:
    """"Other AWS accounts" → Add: arn:aws:iam::<account>:root becomes a key user (§4.4). Idempotent."""
    if not is_account_id(account_id):
        raise ValueError(f"{account_id!r} is not a 12-digit AWS account id")
    return add_key_users(document, [root_arn(account_id)], key_spec, key_usage)


class AccountNotAdded(ValueError):
    """Why "Other AWS accounts" → Add would not add this account."""


def check_external_account(document: dict, account_id: str, *, key_account: str):
    """Refuse, with the reason, an account the default view would not add: the key's own account (the root
    statement and Key users already cover it) or one already listed."""
    if account_id == key_account:
        raise AccountNotAdded(
            f"Account {account_id} is this key's own account: it needs no entry here. The key policy's "
            f"\"{ENABLE_IAM_SID}\" statement already lets this account's IAM policies allow use of the key, "
            "and Key users names its users and roles.")
    view = default_view(document)
    if view is not None and account_id in view.external_accounts:
        raise AccountNotAdded(f"Account {account_id} is already listed.")


def remove_external_account(document: dict, account_id: str) -> dict:
    return remove_key_user(document, root_arn(account_id))


# ----------------------------------------------------------------------------------------------------------
# Key administrators and key deletion
# ----------------------------------------------------------------------------------------------------------


def _admin_statement(arn: str, allow_deletion: bool) -> dict:
    actions = list(_ADMIN_ACTIONS) + (list(_ADMIN_DELETION_ACTIONS) if allow_deletion else [])
    return {"Sid": ADMINS_SID, "Effect": "Allow", "Principal": {"AWS": arn}, "Action": actions, "Resource": "*"}


def add_key_administrator(document: dict, arn: str) -> dict:
    result = copy.deepcopy(document)
    statement = _find(result, ADMINS_SID)
    if statement is None:
        _insert_after(result, _admin_statement(arn, allow_deletion=True), [ENABLE_IAM_SID])
    else:
        _add_principal(statement, arn)
    return result


def remove_key_administrator(document: dict, arn: str) -> dict:
    result = copy.deepcopy(document)
    _remove_principal(result, ADMINS_SID, arn)
    return result


def _actions(statement: dict) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def set_admin_deletion(document: dict, allowed: bool) -> dict:
    """The "Allow key administrators to delete this key" checkbox: the two deletion actions in or out."""
    result = copy.deepcopy(document)
    statement = _find(result, ADMINS_SID)
    if statement is None:
        return result
    actions = [a for a in _actions(statement) if a not in _ADMIN_DELETION_ACTIONS]
    if allowed:
        actions += _ADMIN_DELETION_ACTIONS
    statement["Action"] = actions
    return result


# ----------------------------------------------------------------------------------------------------------
# The default view
# ----------------------------------------------------------------------------------------------------------


@dataclass
class DefaultView:
    administrators: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)            # users and roles (of any account) by ARN
    external_accounts: list[str] = field(default_factory=list)  # 12-digit ids
    deletion_allowed: bool = True


def default_view(document: dict) -> DefaultView | None:
    """The structured default view, or None when the policy is not in the console's shape."""
    if not isinstance(document, dict):
        return None
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    seen = set()
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Sid") not in _KNOWN_SIDS:
            return None
        if statement["Sid"] in seen or statement.get("Effect") != "Allow" or statement.get("Resource") != "*":
            return None
        principal = statement.get("Principal")
        if not isinstance(principal, dict) or set(principal) != {"AWS"} or not _aws_principals(statement):
            return None
        if "NotAction" in statement or "NotPrincipal" in statement or "NotResource" in statement:
            return None
        seen.add(statement["Sid"])
    if ENABLE_IAM_SID not in seen:
        return None

    view = DefaultView()
    admins = _find_in(statements, ADMINS_SID)
    if admins is not None:
        actions = set(_actions(admins))
        if not set(_ADMIN_ACTIONS) <= actions or "Condition" in admins:
            return None
        view.administrators = _aws_principals(admins)
        view.deletion_allowed = set(_ADMIN_DELETION_ACTIONS) <= actions
    use = _find_in(statements, USE_SID)
    attach = _find_in(statements, PERSISTENT_RESOURCES_SID)
    if attach is not None and (use is None or attach.get("Condition") != _GRANT_FOR_AWS_RESOURCE):
        return None
    if use is not None:
        if "Condition" in use:
            return None
        for arn in _aws_principals(use):
            match = _ROOT_ARN.match(arn)
            if match:
                view.external_accounts.append(match.group(1))
            else:
                view.users.append(arn)
    return view


def _find_in(statements: list, sid: str) -> dict | None:
    return next((s for s in statements if s.get("Sid") == sid), None)
