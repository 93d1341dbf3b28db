"""Who can use this key: every principal × the key's actions, each cell decided by policies.engine.

Two views, as AWS would let each reader see (and as the Access tab says):
- operator (Django staff): every principal (root, users, roles) of every account, each evaluated with its real
  IAM policies, groups, the key policy and the grants: the real decision and the path that lets it in.
- account (a principal of the key's account): its own account's principals fully; for other accounts only
  what the key policy (and the grants) say about the principals they name. Their IAM side is decided by
  policies this account cannot read, so those cells say "key side allows; IAM decides" and never guess.

Everything is read in a fixed number of queries whatever the number of principals (see `_Directory`),
then every cell is one call to `evaluate_key_access`.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

from accounts.models import Account, IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy
from keys.authz import request_context
from keys.models import Grant, Key
from policies.engine import AccessRequest, Caller, Decision, GrantView, NamedPolicy, evaluate_key_access
from policies.grammar import parse_policy, parse_policy_cached

# The actions a key's users care about, by key usage (what the key can do, plus describe and grants).
_USAGE_ACTIONS = {
    "ENCRYPT_DECRYPT": ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                        "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"),
    "SIGN_VERIFY": ("kms:Sign", "kms:Verify", "kms:GetPublicKey"),
    "GENERATE_VERIFY_MAC": ("kms:GenerateMac", "kms:VerifyMac"),
    "KEY_AGREEMENT": ("kms:DeriveSharedSecret", "kms:GetPublicKey"),
}
_COMMON_ACTIONS = ("kms:DescribeKey", "kms:CreateGrant")
_ASYMMETRIC_ENCRYPT = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GetPublicKey")
ROLE_SESSION = "WhoCanUse"  # a role acts through a session; any session name gives the same decision here

ALLOWED, DENIED, KEY_SIDE_ALLOWS = "allowed", "denied", "key-side-allows"


def key_actions(key: Key) -> tuple[str, ...]:
    if key.key_usage == "ENCRYPT_DECRYPT" and key.key_spec != "SYMMETRIC_DEFAULT":
        usage = _ASYMMETRIC_ENCRYPT
    else:
        usage = _USAGE_ACTIONS.get(key.key_usage, ())
    return usage + _COMMON_ACTIONS


@dataclass
class Cell:
    action: str
    verdict: str                 # allowed | denied | key-side-allows (another account's IAM decides)
    path: list[str]              # sources that let it in (key-policy:<Sid>, iam:<policy>/<Sid>, grant:<id>)
    missing: str = ""            # what is missing or denies, when not allowed

    def as_dict(self) -> dict:
        return {"action": self.action, "verdict": self.verdict, "path": self.path, "missing": self.missing}


@dataclass
class Row:
    principal_arn: str
    account: str
    kind: str                    # root | user | role | named (another account's principal named by the key policy)
    iam_known: bool              # False: the IAM side belongs to an account this view cannot read
    cells: list[Cell] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The ARN after the account: "root", "user/Alice", "role/ExampleRole"."""
        return self.principal_arn.split(":", 5)[5] if self.principal_arn.count(":") >= 5 else self.principal_arn

    def as_dict(self) -> dict:
        return {"principal": self.principal_arn, "account": self.account, "kind": self.kind,
                "iam_known": self.iam_known, "cells": [c.as_dict() for c in self.cells]}


@dataclass
class WhoCanUse:
    key_arn: str
    view: str                    # operator | account
    actions: tuple[str, ...]
    rows: list[Row]

    def as_dicts(self) -> list[dict]:
        return [row.as_dict() for row in self.rows]

    def allowed_count(self) -> int:
        return sum(1 for row in self.rows if any(c.verdict == ALLOWED for c in row.cells))

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["principal", "account", "kind", "action", "verdict", "path", "missing", "view"])
        for row in self.rows:
            for cell in row.cells:
                writer.writerow([row.principal_arn, row.account, row.kind, cell.action, cell.verdict,
                                 " + ".join(cell.path), cell.missing, self.view])
        return out.getvalue()


def who_can_use(key: Key, *, operator: bool, source_ip: str = "127.0.0.1") -> WhoCanUse:
    """The grid for `key`: every account's principals for an operator; the key's account's principals and
    the other accounts' principals its key policy or grants name for anyone else."""
    actions = key_actions(key)
    accounts = None if operator else [key.account_id]
    directory = _Directory.load(accounts)
    grants = _grants(key)
    key_policy = parse_policy_cached(key.policy)
    evaluator = _Evaluator(key, key_policy, grants, actions, source_ip)
    rows = [evaluator.full_row(p, directory) for p in directory.principals()]
    if not operator:
        rows += [evaluator.named_row(arn) for arn in _foreign_names(key_policy, grants, key.account_id)]
    return WhoCanUse(key_arn=key.arn, view="operator" if operator else "account", actions=actions, rows=rows)


# ---- reading every principal and its IAM policies in a fixed number of queries ----

@dataclass
class _Principal:
    caller: Caller
    kind: str
    owner: tuple[str, int] | None     # ("user", pk) | ("role", pk) | None for root


class _Entity(NamedTuple):
    pk: int
    account_id: str
    name: str
    path: str
    unique_id: str
    tags: dict


class _Directory:
    """Accounts, users, roles and every IAM policy that governs them, named as accounts.authz names them."""

    def __init__(self):
        self.accounts: list[Account] = []
        self.users: list[IamUser] = []
        self.roles: list[IamRole] = []
        self.policies: dict[tuple[str, int], list[NamedPolicy]] = defaultdict(list)

    @classmethod
    def load(cls, account_ids: list[str] | None) -> "_Directory":
        self = cls()

        def scoped(queryset, field_name="account_id"):
            return queryset if account_ids is None else queryset.filter(**{f"{field_name}__in": account_ids})

        self.accounts = list(scoped(Account.objects.all(), "id").only("id", "enabled_regions"))
        # Plain rows, not model instances: a thousand principals are read, not changed.
        fields = ("pk", "account_id", "name", "path", "unique_id", "tags")
        self.users = [_Entity(*row) for row in scoped(IamUser.objects.all()).values_list(*fields)]
        self.roles = [_Entity(*row) for row in scoped(IamRole.objects.all()).values_list(*fields)]
        groups = {g.pk: g.name for g in scoped(IamGroup.objects.all()).only("id", "name")}
        user_groups = defaultdict(list)
        for user_id, group_id in scoped(IamUser.groups.through.objects.all(), "iamuser__account_id").values_list(
                "iamuser_id", "iamgroup_id"):
            user_groups[user_id].append(group_id)
        documents = {pk: (name, doc) for pk, name, doc in scoped(IamPolicy.objects.all()).values_list(
            "id", "name", "default_version__document")}
        # AWS managed policies (no account) may be attached too: read those that are attached, in one query.
        attached_user = list(scoped(IamUser.managed_policies.through.objects.all(), "iamuser__account_id")
                             .values_list("iamuser_id", "iampolicy_id"))
        attached_role = list(scoped(IamRole.managed_policies.through.objects.all(), "iamrole__account_id")
                             .values_list("iamrole_id", "iampolicy_id"))
        attached_group = list(scoped(IamGroup.managed_policies.through.objects.all(), "iamgroup__account_id")
                              .values_list("iamgroup_id", "iampolicy_id"))
        missing = {p for _, p in attached_user + attached_role + attached_group} - set(documents)
        if missing:
            documents.update({pk: (name, doc) for pk, name, doc in IamPolicy.objects.filter(pk__in=missing)
                              .values_list("id", "name", "default_version__document")})
        inline = defaultdict(list)      # ("user"|"role"|"group", pk) -> [(name, document)]
        inline_rows = InlinePolicy.objects.all()
        if account_ids is not None:
            from django.db.models import Q
            inline_rows = inline_rows.filter(Q(user__account_id__in=account_ids) | Q(role__account_id__in=account_ids)
                                             | Q(group__account_id__in=account_ids))
        for user_id, role_id, group_id, name, document in inline_rows.values_list(
                "user_id", "role_id", "group_id", "name", "document").order_by("name"):
            owner = ("user", user_id) if user_id else ("role", role_id) if role_id else ("group", group_id)
            inline[owner].append((name, document))

        def parsed(document):
            return parse_policy_cached(document or "{}")

        user_managed, role_managed, group_managed = defaultdict(list), defaultdict(list), defaultdict(list)
        for index, pairs in ((user_managed, attached_user), (role_managed, attached_role),
                             (group_managed, attached_group)):
            for owner_id, policy_id in pairs:
                index[owner_id].append(policy_id)
        for user in self.users:
            named = self.policies[("user", user.pk)]
            named += [NamedPolicy(f"user/{user.name}/inline/{n}", parsed(d)) for n, d in inline[("user", user.pk)]]
            for group_id in sorted(user_groups[user.pk]):
                named += [NamedPolicy(f"group/{groups.get(group_id)}/inline/{n}", parsed(d))
                          for n, d in inline[("group", group_id)]]
            named += sorted((NamedPolicy(documents[p][0], parsed(documents[p][1]))
                             for p in user_managed[user.pk]), key=lambda n: n.name)
            named += sorted((NamedPolicy(f"group/{groups.get(g)}/{documents[p][0]}", parsed(documents[p][1]))
                             for g in user_groups[user.pk] for p in group_managed[g]), key=lambda n: n.name)
        for role in self.roles:
            named = self.policies[("role", role.pk)]
            named += [NamedPolicy(f"role/{role.name}/inline/{n}", parsed(d)) for n, d in inline[("role", role.pk)]]
            named += sorted((NamedPolicy(documents[p][0], parsed(documents[p][1]))
                             for p in role_managed[role.pk]), key=lambda n: n.name)
        return self

    def principals(self) -> list[_Principal]:
        out = [_Principal(Caller(arn=a.root_arn, account=a.id, kind="Root", user_id=a.id), "root", None)
               for a in self.accounts]
        out += [_Principal(Caller(arn=f"arn:aws:iam::{u.account_id}:user{u.path}{u.name}", account=u.account_id,
                                  kind="IAMUser", user_id=u.unique_id, username=u.name, tags=u.tags or {}),
                           "user", ("user", u.pk)) for u in self.users]
        out += [_Principal(Caller(arn=f"arn:aws:sts::{r.account_id}:assumed-role/{r.name}/{ROLE_SESSION}",
                                  account=r.account_id, kind="AssumedRole", user_id=f"{r.unique_id}:{ROLE_SESSION}",
                                  role_arn=f"arn:aws:iam::{r.account_id}:role{r.path}{r.name}", tags=r.tags or {}),
                           "role", ("role", r.pk)) for r in self.roles]
        order = {"root": 0, "user": 1, "role": 2}
        return sorted(out, key=lambda p: (p.caller.account, order[p.kind], p.caller.role_arn or p.caller.arn))

    def region_enabled(self, account_id: str, region: str) -> bool:
        if not hasattr(self, "_by_id"):
            self._by_id = {a.id: a for a in self.accounts}
        account = self._by_id.get(account_id)
        return account.region_enabled(region) if account is not None else True


def _grants(key: Key) -> list[GrantView]:
    return [GrantView(grant_id=g.grant_id, grantee_principal=g.grantee_principal, operations=frozenset(g.operations),
                      constraints=g.constraints or None, retiring_principal=g.retiring_principal or None)
            for g in Grant.objects.filter(key=key)]


def _foreign_names(key_policy, grants: list[GrantView], key_account: str) -> list[str]:
    """Principals of other accounts that the key policy's Allow statements or the grants name, in order."""
    names: dict[str, None] = {}
    for statement in key_policy.statements:
        if statement.effect != "Allow" or statement.principal is None:
            continue
        for arn in statement.principal.aws:
            if arn != "*" and arn.split(":")[4:5] != [key_account]:
                names.setdefault(arn, None)
    for grant in grants:
        if grant.grantee_principal.split(":")[4:5] != [key_account]:
            names.setdefault(grant.grantee_principal, None)
    return list(names)


# ---- evaluating ----

# Condition keys whose value comes from the principal itself: a statement testing one (or using a policy
# variable) may decide differently for two principals with the same policies.
_PRINCIPAL_KEYS = ("aws:principalarn", "aws:username", "aws:userid", "aws:principaltag/", "aws:sourceidentity")


def _principal_sensitive(policy) -> bool:
    for statement in policy.statements:
        if any("${" in r for r in statement.resources + statement.not_resources):
            return True
        if any(c.key.lower().startswith(_PRINCIPAL_KEYS) or any("${" in v for v in c.values)
               for c in statement.conditions):
            return True
    return False


class _Evaluator:
    """Decides cells; principals that the engine cannot tell apart share one decision per action.

    Two principals get the same decision when they are of the same account and kind, are governed by the same
    parsed policies (documents are parsed once per text, so equal documents are the same object), are not named
    by the key policy or a grant, and no statement looks at who they are (principal condition keys, policy
    variables). Their reasons differ only by the names of their IAM policies, which are put back per principal.
    """

    def __init__(self, key: Key, key_policy, grants: list[GrantView], actions, source_ip: str):
        self.key = key
        self.key_policy = key_policy
        self.grants = grants
        self.actions = actions
        call_like = SimpleNamespace(source_ip=source_ip, region=key.region, requested_alias=None)
        # One condition context per kind of action (aliases and tags read once), shared by every principal.
        plain = request_context(call_like, key, "kms:DescribeKey")
        granting = request_context(call_like, key, "kms:CreateGrant")
        self.contexts = {action: granting if action in ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
                         else plain for action in actions}
        self.named = {name for s in key_policy.statements for spec in (s.principal, s.not_principal) if spec
                      for name in spec.aws_set} | {g.grantee_principal for g in grants}
        self.key_sensitive = _principal_sensitive(key_policy) or any(spec.wildcard for s in key_policy.statements
                                                                     for spec in (s.principal, s.not_principal)
                                                                     if spec)
        self._sensitive: dict[int, bool] = {}
        self._shared: dict[tuple, tuple[tuple[str, ...], list[Cell]]] = {}

    def _class_of(self, caller: Caller, policies, enabled: bool):
        """The key of the principals that must get the same decisions, or None when this one is singular."""
        if self.key_sensitive or caller.kind == "Root":
            return None
        names = {caller.arn, caller.user_id.split(":", 1)[0]} | ({caller.role_arn} if caller.role_arn else set())
        if names & self.named:
            return None
        for named in policies:
            sensitive = self._sensitive.get(id(named.policy))
            if sensitive is None:
                sensitive = self._sensitive[id(named.policy)] = _principal_sensitive(named.policy)
            if sensitive:
                return None
        return (caller.account, caller.kind, tuple(id(n.policy) for n in policies), enabled)

    def _decide(self, caller: Caller, action: str, identity_policies, region_enabled: bool) -> Decision:
        request = AccessRequest(caller=caller, action=action, resource_arn=self.key.arn,
                                resource_account=self.key.account_id, region=self.key.region,
                                context=self.contexts[action])
        names = {caller.arn, caller.root_arn} | ({caller.role_arn} if caller.role_arn else set())
        return evaluate_key_access(request, key_policy=self.key_policy, key_account=self.key.account_id,
                                   key_region=self.key.region, identity_policies=identity_policies,
                                   grants=[g for g in self.grants if g.grantee_principal in names],
                                   caller_region_enabled=region_enabled)

    def full_row(self, principal: _Principal, directory: _Directory) -> Row:
        caller = principal.caller
        policies = directory.policies.get(principal.owner, []) if principal.owner else []
        enabled = directory.region_enabled(caller.account, self.key.region)
        row = Row(principal_arn=caller.role_arn or caller.arn, account=caller.account, kind=principal.kind,
                  iam_known=True)
        names = tuple(f"iam:{n.name}/" for n in policies)
        shared_key = self._class_of(caller, policies, enabled)
        if shared_key is not None and shared_key in self._shared:
            their_names, cells = self._shared[shared_key]
            if their_names == names:
                row.cells = list(cells)
            else:
                pairs = sorted(zip(their_names, names), key=lambda pair: -len(pair[0]))
                memo: dict[str, str] = {}
                row.cells = [_renamed(cell, pairs, memo) for cell in cells]
            return row
        row.cells = [_cell(action, self._decide(caller, action, policies, enabled)) for action in self.actions]
        if shared_key is not None:
            self._shared[shared_key] = (names, row.cells)
        return row

    def named_row(self, arn: str) -> Row:
        """A principal of another account named by the key policy: the key side only (kms.md: the key policy
        decides who CAN, the IAM policy in the caller's account decides who DOES)."""
        caller = _named_caller(arn)
        row = Row(principal_arn=arn, account=caller.account, kind="named", iam_known=False)
        for action in self.actions:
            without_iam = self._decide(caller, action, (), True)
            if without_iam.allowed:  # a grant naming the principal itself needs no IAM policy
                row.cells.append(_cell(action, without_iam))
                continue
            assumed = NamedPolicy(f"<an IAM policy of account {caller.account}>", _allow_exactly(action, self.key.arn))
            with_iam = self._decide(caller, action, (assumed,), True)
            if with_iam.allowed:
                path = [r.source for r in with_iam.reasons if r.effect == "Allow" and not r.source.startswith("iam:<")]
                row.cells.append(Cell(action, KEY_SIDE_ALLOWS, path,
                                      f"decided by account {caller.account}'s IAM policies, which this account "
                                      "cannot read"))
            else:
                row.cells.append(_cell(action, without_iam))
        return row


def _allow_exactly(action: str, key_arn: str):
    return parse_policy({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": action, "Resource": key_arn}]})


def _named_caller(arn: str) -> Caller:
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) > 4 else ""
    resource = parts[5] if len(parts) > 5 else ""
    if resource == "root" or not resource:
        # A key policy naming an account root trusts the account: its principals get in when their IAM policies
        # allow. Stand for "any IAM principal of the account" (a name no real user can have), not the root user.
        return Caller(arn=f"arn:aws:iam::{account}:user/<any principal>", account=account, kind="IAMUser",
                      user_id="AIDAWHOCANUSE", username="<any principal>")
    kind, _, rest = resource.partition("/")
    name = rest.rsplit("/", 1)[-1]
    if kind == "user":
        return Caller(arn=arn, account=account, kind="IAMUser", user_id="AIDAWHOCANUSE", username=name)
    if kind == "assumed-role":
        role, _, session = rest.partition("/")
        return Caller(arn=arn, account=account, kind="AssumedRole", user_id=f"AROAWHOCANUSE:{session}",
                      role_arn=f"arn:aws:iam::{account}:role/{role}")
    return Caller(arn=f"arn:aws:sts::{account}:assumed-role/{name}/{ROLE_SESSION}", account=account,
                  kind="AssumedRole", user_id=f"AROAWHOCANUSE:{ROLE_SESSION}", role_arn=arn)


_MISSING = {
    "no-resource-policy": "no key policy statement or grant allows it",
    "no-identity-policy": "the key policy allows it, but no IAM policy of the principal does",
    "no-session-policy": "the session policy does not allow it",
    "not-cross-account-operation": "not a cross-account operation",
    "region-not-enabled": "the principal's account has not enabled the key's Region",
}


def _renamed(cell: Cell, pairs: list[tuple[str, str]], memo: dict[str, str]) -> Cell:
    """Another principal's cell with its IAM policy names ("iam:<name>/") replaced by this principal's
    (`pairs`: (theirs, ours), longest first; `memo`: sources already renamed for this principal)."""
    if not cell.missing.startswith("explicit deny: ") and not any(s.startswith("iam:") for s in cell.path):
        return cell   # nothing in it names a policy of the principal: the same cell serves both
    def rename(source: str) -> str:
        if not source.startswith("iam:"):
            return source
        if source not in memo:
            memo[source] = next((after + source[len(before):] for before, after in pairs
                                 if source.startswith(before)), source)
        return memo[source]

    missing = cell.missing
    if missing.startswith("explicit deny: "):
        missing = "explicit deny: " + ", ".join(rename(s) for s in missing[len("explicit deny: "):].split(", "))
    return Cell(cell.action, cell.verdict, [rename(s) for s in cell.path], missing)


def _cell(action: str, decision: Decision) -> Cell:
    if decision.allowed:
        return Cell(action, ALLOWED, [r.source for r in decision.reasons if r.effect == "Allow"])
    denies = [r.source for r in decision.reasons if r.effect == "Deny"]
    if denies:
        return Cell(action, DENIED, [], "explicit deny: " + ", ".join(denies))
    return Cell(action, DENIED, [], _MISSING.get(decision.denial or "", decision.explanation))
