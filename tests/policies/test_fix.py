"""policies.fix: the smallest change that lets a denied key request in, found with the engine (pure, no database)."""

import json

from policies.engine import AccessRequest, Caller, NamedPolicy, evaluate_key_access
from policies.fix import (CHANGES, EXPLICIT_DENY, IAM, KEY_POLICY, NO_POLICY_FIX, NOTHING_TO_FIX, IamTarget,
                          smallest_fix)
from policies.grammar import parse_policy

OWNER, TRUSTED = "111122223333", "444455556666"
KEY_ARN = f"arn:aws:kms:us-west-2:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT_STATEMENT = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"}
KEY_POLICY_DOC = {"Version": "2012-10-17", "Statement": [ROOT_STATEMENT]}
READER = Caller(arn=f"arn:aws:iam::{OWNER}:user/Reader", account=OWNER, kind="IAMUser",
                user_id="AIDAREADER", username="Reader")
ROLE_SESSION = Caller(arn=f"arn:aws:sts::{TRUSTED}:assumed-role/ExampleRole/s1", account=TRUSTED,
                      kind="AssumedRole", user_id="AROAEXAMPLE:s1", role_arn=f"arn:aws:iam::{TRUSTED}:role/ExampleRole")
INLINE = IamTarget("PutUserPolicy", "Reader", "KmsKeyAccess-1234abcd")


def request(caller=READER, action="kms:Encrypt"):
    return AccessRequest(caller=caller, action=action, resource_arn=KEY_ARN, resource_account=OWNER,
                         region="us-west-2")


def allowed_after(fix, req, key_policy, identity):
    """Apply the fix's changes to the documents and ask the engine again."""
    for change in fix.changes:
        if change.side == KEY_POLICY:
            key_policy = change.after
        else:
            identity = identity + [NamedPolicy(change.policy_name, parse_policy(change.after))]
    return evaluate_key_access(req, key_policy=parse_policy(key_policy), key_account=OWNER, key_region="us-west-2",
                               identity_policies=identity).allowed


def test_same_account_user_without_iam_gets_one_statement_it_can_apply():
    fix = smallest_fix(request(), key_policy=KEY_POLICY_DOC, key_account=OWNER, key_region="us-west-2",
                       identity_policies=[], iam_target=INLINE, may_apply=lambda c: c.side == KEY_POLICY)
    assert fix.status == CHANGES and len(fix.changes) == 1
    change = fix.changes[0]
    assert change.side == KEY_POLICY and change.may_apply and change.operation == "PutKeyPolicy"
    assert change.statement == {"Sid": "AllowEncryptForReader", "Effect": "Allow",
                                "Principal": {"AWS": READER.arn}, "Action": "kms:Encrypt", "Resource": KEY_ARN}
    assert any(kind == "add" and '"kms:Encrypt"' in line for kind, line in change.diff_lines())
    assert allowed_after(fix, request(), KEY_POLICY_DOC, [])


def test_without_permission_to_change_the_key_policy_the_iam_side_is_proposed_first_when_appliable():
    fix = smallest_fix(request(), key_policy=KEY_POLICY_DOC, key_account=OWNER, key_region="us-west-2",
                       identity_policies=[], iam_target=INLINE, may_apply=lambda c: c.side == IAM)
    assert [c.side for c in fix.changes] == [IAM]
    assert fix.changes[0].before == {"Version": "2012-10-17", "Statement": []}
    assert allowed_after(fix, request(), KEY_POLICY_DOC, [])


def test_never_a_wildcard_principal_or_kms_star():
    fix = smallest_fix(request(ROLE_SESSION, "kms:decrypt"), key_policy=KEY_POLICY_DOC, key_account=OWNER,
                       key_region="us-west-2", identity_policies=[], iam_target=IamTarget(
                           "PutRolePolicy", "ExampleRole", "KmsKeyAccess-1234abcd"))
    text = json.dumps([c.statement for c in fix.changes])
    assert '"*"' not in text and "kms:*" not in text
    # Another account's role needs both halves: the key policy names the role, its IAM policy allows Decrypt.
    assert {c.side for c in fix.changes} == {KEY_POLICY, IAM}
    key_change = next(c for c in fix.changes if c.side == KEY_POLICY)
    assert key_change.statement["Principal"] == {"AWS": f"arn:aws:iam::{TRUSTED}:role/ExampleRole"}
    assert key_change.statement["Action"] == "kms:Decrypt"
    assert allowed_after(fix, request(ROLE_SESSION, "kms:Decrypt"), KEY_POLICY_DOC, [])


def test_the_key_owner_cannot_see_the_other_accounts_iam_so_that_half_is_a_snippet():
    fix = smallest_fix(request(ROLE_SESSION), key_policy=KEY_POLICY_DOC, key_account=OWNER, key_region="us-west-2",
                       identity_policies=None, iam_target=None)
    sides = {c.side: c for c in fix.changes}
    assert sides[KEY_POLICY].readable and sides[KEY_POLICY].required
    assert not sides[IAM].readable and not sides[IAM].required and sides[IAM].after is None
    assert "cannot read" in fix.explanation


def test_the_callers_account_cannot_see_the_key_policy_so_that_half_is_a_snippet():
    allow = NamedPolicy("AllowUse", parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": KEY_ARN}]}))
    fix = smallest_fix(request(ROLE_SESSION), key_policy=None, key_account=OWNER, key_region="us-west-2",
                       identity_policies=[allow], iam_target=IamTarget("PutRolePolicy", "ExampleRole", "X"))
    assert fix.status == CHANGES
    assert [c.side for c in fix.changes] == [KEY_POLICY]
    assert "account 111122223333 must allow" in fix.explanation


def test_an_explicit_deny_is_reported_with_the_statement_to_remove():
    deny = {"Sid": "NoEncrypt", "Effect": "Deny", "Principal": {"AWS": READER.arn}, "Action": "kms:Encrypt",
            "Resource": "*"}
    fix = smallest_fix(request(), key_policy={"Version": "2012-10-17", "Statement": [ROOT_STATEMENT, deny]},
                       key_account=OWNER, key_region="us-west-2", identity_policies=[], iam_target=INLINE)
    assert fix.status == EXPLICIT_DENY and not fix.changes
    assert [r.source for r in fix.denies] == ["key-policy:NoEncrypt"]


def test_an_operation_that_never_works_across_accounts_has_no_policy_fix():
    fix = smallest_fix(request(ROLE_SESSION, "kms:PutKeyPolicy"), key_policy=KEY_POLICY_DOC, key_account=OWNER,
                       key_region="us-west-2", identity_policies=[], iam_target=None)
    assert fix.status == NO_POLICY_FIX


def test_an_allowed_request_needs_nothing():
    allow = NamedPolicy("AllowUse", parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": KEY_ARN}]}))
    fix = smallest_fix(request(), key_policy=KEY_POLICY_DOC, key_account=OWNER, key_region="us-west-2",
                       identity_policies=[allow], iam_target=INLINE)
    assert fix.status == NOTHING_TO_FIX and not fix.changes
