"""The create-policy page's "KMS key usage" helper: chosen actions + key ARNs -> the IAM policy statements the
AWS guide *Allowing users in other accounts to use a KMS key* shows for the external account (step 2).

Pure functions over plain data (no Django, no database), so they are tested on their own.

The guide's statement, one per key-owning account:
    {"Sid": "AllowUseOfKeyInAccount111122223333", "Effect": "Allow",
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
     "Resource": "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
and, for "grants for AWS resources", the IAM side of the key policy's "Allow attachment of persistent
resources": kms:CreateGrant, kms:ListGrants, kms:RevokeGrant when kms:GrantIsForAWSResource is true.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass

# The key-use actions in the order the guide (and the KMS console's key policy) lists them.
KEY_USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
GRANTS_FOR_AWS_RESOURCES = "grants"  # the helper's checkbox for the three grant actions
HELPER_CHOICES = KEY_USE_ACTIONS + (GRANTS_FOR_AWS_RESOURCES,)
# The key policy's statement writes the string "true", as the KMS console does; Bool reads both forms.
GRANT_CONDITION = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
POLICY_VERSION = "2012-10-17"

# A key ARN; wildcards are allowed in the Region and key id positions, as the KMS guide's
# "Specifying KMS keys in IAM policy statements" allows (arn:aws:kms:us-west-2:111122223333:key/*).
_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:(?:[a-z0-9-]+|\*):(?P<account>[0-9]{12}):key/[A-Za-z0-9*-]+")
_ALIAS_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9*-]+:[0-9]{12}:alias/.+")
_BARE_KEY_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
                          re.IGNORECASE)


class KeyArnError(ValueError):
    """A line of the key ARNs field that an IAM policy cannot use to name a KMS key."""


@dataclass(frozen=True)
class KeyArns:
    arns: tuple[str, ...]

    def by_account(self) -> dict[str, list[str]]:
        """Key ARNs grouped by the account that owns the keys, in the order they were given."""
        groups: dict[str, list[str]] = {}
        for arn in self.arns:
            groups.setdefault(_KEY_ARN.fullmatch(arn)["account"], []).append(arn)
        return groups


def parse_key_arns(text: str) -> KeyArns:
    """The key ARNs of the field (one per line, blank lines ignored, repeats dropped).

    Raises KeyArnError for the first line that is not a key ARN, with the reason in words: a bare key id or an
    alias name always means a key of the caller's own account, so another account's key is named only by its
    key ARN; an alias ARN in an IAM policy's Resource controls only the alias operations."""
    arns: list[str] = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry:
            continue
        if not _KEY_ARN.fullmatch(entry):
            raise KeyArnError(_why_not_a_key_arn(entry))
        if entry not in arns:
            arns.append(entry)
    if not arns:
        raise KeyArnError("Enter the key ARN of at least one KMS key, one per line.")
    return KeyArns(tuple(arns))


def _why_not_a_key_arn(entry: str) -> str:
    if _BARE_KEY_ID.fullmatch(entry):
        return (f"{entry} is a bare key ID: in a policy it can only mean a key of your own account. Another "
                "account's key is named only by its key ARN (arn:aws:kms:<region>:<account>:key/<key-id>).")
    if entry.startswith("alias/"):
        return (f"{entry} is an alias name: it always means an alias of your own account. Another account's key "
                "is named only by its key ARN (arn:aws:kms:<region>:<account>:key/<key-id>).")
    if _ALIAS_ARN.fullmatch(entry):
        return (f"{entry} is an alias ARN: in an IAM policy an alias ARN controls only the alias operations. "
                "Name the KMS key by its key ARN (arn:aws:kms:<region>:<account>:key/<key-id>).")
    return f"{entry} is not a key ARN (arn:aws:kms:<region>:<account>:key/<key-id>)."


def key_usage_statements(choices, key_arns: KeyArns) -> list[dict]:
    """The guide's statements for the chosen helper choices (HELPER_CHOICES) on the given keys.

    One statement per key-owning account for the key-use actions (Sid AllowUseOfKeyInAccount<account>, as
    in the guide), and one per account for the grant actions with the GrantIsForAWSResource condition."""
    chosen = set(choices)
    unknown = chosen - set(HELPER_CHOICES)
    if unknown:
        raise ValueError(f"Not a KMS key usage choice: {sorted(unknown)}")
    if not chosen:
        raise ValueError("Choose at least one action.")
    use_actions = [action for action in KEY_USE_ACTIONS if action in chosen]
    statements = []
    for account, arns in key_arns.by_account().items():
        resource = arns[0] if len(arns) == 1 else arns
        if use_actions:
            statements.append({"Sid": f"AllowUseOfKeyInAccount{account}", "Effect": "Allow",
                               "Action": use_actions, "Resource": resource})
        if GRANTS_FOR_AWS_RESOURCES in chosen:
            statements.append({"Sid": f"AllowGrantsForAWSResourcesInAccount{account}", "Effect": "Allow",
                               "Action": list(GRANT_ACTIONS), "Resource": resource,
                               "Condition": copy.deepcopy(GRANT_CONDITION)})
    return statements


class EditorTextError(ValueError):
    """The editor holds text the helper cannot add statements to."""


def add_statements(editor_text: str, statements: list[dict]) -> str:
    """The editor's policy with `statements` added, as indented JSON.

    An empty editor becomes a new policy. A statement with the same Sid as one already there replaces it, so
    running the helper again updates its statements instead of repeating them. Statements the editor starts
    with that allow nothing (no action at all, like the console's empty template) are dropped."""
    if editor_text.strip():
        try:
            document = json.loads(editor_text)
        except ValueError:
            raise EditorTextError("The editor does not hold valid JSON: fix it or empty it, then add the "
                                  "statements again.") from None
        if not isinstance(document, dict):
            raise EditorTextError("The editor's JSON is not a policy object: empty it, then add the statements again.")
    else:
        document = {"Version": POLICY_VERSION, "Statement": []}
    existing = document.get("Statement", [])
    if isinstance(existing, dict):
        existing = [existing]
    if not isinstance(existing, list):
        raise EditorTextError("The policy's Statement is neither a statement nor a list of statements.")
    new_sids = {statement["Sid"] for statement in statements}
    kept = [s for s in existing
            if not (isinstance(s, dict) and (s.get("Sid") in new_sids or _allows_nothing(s)))]
    document.setdefault("Version", POLICY_VERSION)
    document["Statement"] = kept + statements
    return json.dumps(document, indent=4)


def _allows_nothing(statement: dict) -> bool:
    return "NotAction" not in statement and statement.get("Action") in (None, [], "")
