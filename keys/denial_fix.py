"""Denial to fix, the database side: who the denied caller is, what the reader may see, where an IAM statement
would go, whether the reader may make a change, and applying it as the reader through awsapi.dispatch.execute.

Who sees what (as AWS would let each reader see): the key policy is readable by an operator, or by a reader of
the key's account whose GetKeyPolicy succeeds (asked as that reader, so authorised and recorded); the caller's
IAM policies are readable by an operator or by a reader of the caller's own account. An unreadable side is
only ever a snippet for that account's administrator.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Q

from accounts.models import Account, IamRole, IamUser, InlinePolicy, RoleSession
from accounts.principals import Principal
from awsapi.dispatch import Call, execute
from awsapi.errors import AwsError
from keys.authz import request_context
from keys.models import Grant, Key
from policies.engine import (AccessRequest, Caller, GrantView, evaluate_identity_access,
                             evaluate_key_access)
from policies.fix import IAM, KEY_POLICY, Change, Fix, IamTarget, pretty, smallest_fix
from policies.grammar import parse_policy_cached

_KEY_ARN = re.compile(r"^arn:aws:kms:([a-z0-9-]+):(\d{12}):key/([0-9a-f-]{36})$")
_PRINCIPAL = re.compile(r"^arn:aws:(iam|sts)::(\d{12}):(root|user/(?:[^/]+/)*[^/]+|role/(?:[^/]+/)*[^/]+|"
                        r"assumed-role/[^/]+/[^/]+)$")
FIX_SESSION = "DenialFix"
INLINE_POLICY_PREFIX = "KmsKeyAccess-"


class BadQuestion(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Question:
    principal_arn: str
    action: str
    key_arn: str


@dataclass
class Reader:
    """The signed-in principal who asks, and how it reaches the API."""

    principal: Principal
    operator: bool
    request_id: str
    source_ip: str
    user_agent: str

    def run(self, service: str, operation: str, region: str, **params) -> dict:
        call = Call(principal=self.principal, region=region, service=service, operation=operation,
                    params={k: v for k, v in params.items() if v is not None}, request_id=self.request_id,
                    source_ip=self.source_ip, user_agent=self.user_agent, via_console=True)
        return execute(call)


def parse_question(principal_arn: str, action: str, key_arn: str) -> Question:
    principal_arn, action, key_arn = principal_arn.strip(), action.strip(), key_arn.strip()
    if not _PRINCIPAL.match(principal_arn):
        raise BadQuestion("principal", f"{principal_arn or 'An empty value'} is not a principal ARN.")
    if not _KEY_ARN.match(key_arn):
        raise BadQuestion("key", f"{key_arn or 'An empty value'} is not a key ARN.")
    if not re.fullmatch(r"kms:[A-Za-z]+", action):
        raise BadQuestion("action", f"{action or 'An empty value'} is not a KMS action (kms:<Operation>).")
    return Question(principal_arn, action, key_arn)


@dataclass
class _Caller:
    caller: Caller
    principal: Principal | None          # None when the reader may not read the caller's account
    exists: bool


def _caller(question: Question, readable: bool) -> _Caller:
    arn = question.principal_arn
    service, account, resource = _PRINCIPAL.match(arn).groups()
    kind, _, rest = resource.partition("/")
    if readable:
        account_row = Account.objects.filter(pk=account).first()
        principal = None
        if account_row is not None and kind == "root":
            principal = Principal.root(account_row)
        elif kind == "user":
            user = IamUser.objects.filter(account_id=account, name=rest.rsplit("/", 1)[-1]).first()
            principal = Principal.for_user(user) if user else None
        elif kind in ("role", "assumed-role"):
            role_name = rest.split("/")[0] if kind == "assumed-role" else rest.rsplit("/", 1)[-1]
            session_name = rest.split("/")[1] if kind == "assumed-role" else FIX_SESSION
            role = IamRole.objects.filter(account_id=account, name=role_name).first()
            principal = Principal.for_session(RoleSession(role=role, session_name=session_name)) if role else None
        if principal is None:
            raise BadQuestion("principal", f"Account {account} has no principal {arn}.")
        return _Caller(principal.caller(), principal, True)
    # Another account's principal: only its ARN is known here.
    if kind == "root":
        caller = Caller(arn=arn, account=account, kind="Root", user_id=account)
    elif kind == "user":
        caller = Caller(arn=arn, account=account, kind="IAMUser", user_id="AIDADENIALFIX",
                        username=rest.rsplit("/", 1)[-1])
    else:
        role_name = rest.split("/")[0] if kind == "assumed-role" else rest.rsplit("/", 1)[-1]
        session = rest.split("/")[1] if kind == "assumed-role" else FIX_SESSION
        caller = Caller(arn=f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}", account=account,
                        kind="AssumedRole", user_id=f"AROADENIALFIX:{session}",
                        role_arn=f"arn:aws:iam::{account}:role/{role_name}")
    return _Caller(caller, None, False)


def iam_target_for(principal: Principal, key_arn: str) -> IamTarget | None:
    """Where the caller's missing IAM statement goes: a customer managed policy attached to its user or role
    that is already about this key (a new default version), otherwise an inline policy for this key."""
    if principal.user is None and principal.role is None:
        return None                                  # the root user holds every IAM permission already
    owner = principal.user or principal.role
    attached = owner.managed_policies.filter(account__isnull=False).select_related("default_version")
    for policy in attached.order_by("name"):
        document = policy.default_version.document if policy.default_version else ""
        if key_arn in document and policy.versions.count() < 5:   # IAM keeps at most five versions
            return IamTarget("CreatePolicyVersion", owner.name, policy.name, policy.arn, json.loads(document))
    name = INLINE_POLICY_PREFIX + key_arn.rsplit("/", 1)[-1]
    holder = Q(user=principal.user) if principal.user else Q(role=principal.role)
    existing = InlinePolicy.objects.filter(holder, name=name).first()
    return IamTarget("PutUserPolicy" if principal.user else "PutRolePolicy", owner.name, name, None,
                     json.loads(existing.document) if existing else None)


def compute_fix(reader: Reader, question: Question) -> Fix:
    key_region, key_account, _ = _KEY_ARN.match(question.key_arn).groups()
    key = Key.objects.filter(arn=question.key_arn).first()
    key_policy = None
    if reader.operator and key is not None:
        key_policy = _json(key.policy)
    elif reader.principal.account_id == key_account:
        try:
            key_policy = _json(reader.run("kms", "GetKeyPolicy", key_region, KeyId=question.key_arn,
                                          PolicyName="default")["Policy"])
        except AwsError as error:
            if error.code != "AccessDeniedException":
                raise BadQuestion("key", error.message or error.code) from None
    caller_account = _PRINCIPAL.match(question.principal_arn).group(2)
    iam_readable = reader.operator or reader.principal.account_id == caller_account
    if key_policy is None and not iam_readable:
        raise BadQuestion("principal", "From this account you can read neither the key policy nor the caller's "
                                       "IAM policies, so there is nothing to propose.")
    found = _caller(question, iam_readable)
    caller = found.caller
    context = {}
    if key is not None and (key_policy is not None):
        context = request_context(SimpleNamespace(source_ip=reader.source_ip, region=key_region,
                                                  requested_alias=None), key, question.action)
    request = AccessRequest(caller=caller, action=question.action, resource_arn=question.key_arn,
                            resource_account=key_account, region=key_region, context=context)
    grants = _grants(key, caller) if key is not None and key_policy is not None else []
    principal = found.principal
    return smallest_fix(
        request, key_policy=key_policy, key_account=key_account, key_region=key_region,
        identity_policies=principal.identity_policies() if principal else None,
        iam_target=iam_target_for(principal, question.key_arn) if principal else None,
        session_policy=None, grants=grants,
        caller_region_enabled=principal.account.region_enabled(key_region) if principal else True,
        may_apply=lambda change: may_apply(reader, change, key, key_region))


def _json(text: str) -> dict:
    return json.loads(text)


def _grants(key: Key, caller: Caller) -> list[GrantView]:
    names = {caller.arn, caller.root_arn} | ({caller.role_arn} if caller.role_arn else set())
    return [GrantView(grant_id=g.grant_id, grantee_principal=g.grantee_principal, operations=frozenset(g.operations),
                      constraints=g.constraints or None, retiring_principal=g.retiring_principal or None)
            for g in Grant.objects.filter(key=key, grantee_principal__in=names)]


def may_apply(reader: Reader, change: Change, key: Key | None, key_region: str) -> bool:
    """Whether the engine would let the reader make this change itself (its own account, its own policies)."""
    principal = reader.principal
    if change.account != principal.account_id or not change.readable:
        return False
    caller = principal.caller()
    if change.side == KEY_POLICY:
        if key is None:
            return False
        request = AccessRequest(caller=caller, action="kms:PutKeyPolicy", resource_arn=key.arn,
                                resource_account=key.account_id, region=key_region,
                                context={"kms:PolicyName": "default", "kms:BypassPolicyLockoutSafetyCheck": False})
        return evaluate_key_access(request, key_policy=parse_policy_cached(key.policy), key_account=key.account_id,
                                   key_region=key.region, identity_policies=principal.identity_policies(),
                                   session_policy=principal.session_policy()).allowed
    action = "iam:" + change.operation
    resource = change.target if change.operation == "CreatePolicyVersion" else (
        f"arn:aws:iam::{change.account}:{'user' if change.operation == 'PutUserPolicy' else 'role'}/{change.target}")
    request = AccessRequest(caller=caller, action=action, resource_arn=resource, resource_account=change.account,
                            region="us-east-1")
    return evaluate_identity_access(request, identity_policies=principal.identity_policies(),
                                    session_policy=principal.session_policy()).allowed


def apply_change(reader: Reader, change: Change, key_region: str) -> dict:
    """Make the change as the reader: one PutKeyPolicy, CreatePolicyVersion (as default) or Put*Policy."""
    document = pretty(change.after)
    if change.side == KEY_POLICY:
        return reader.run("kms", "PutKeyPolicy", key_region, KeyId=change.target, PolicyName="default",
                          Policy=document)
    assert change.side == IAM
    if change.operation == "CreatePolicyVersion":
        return reader.run("iam", "CreatePolicyVersion", "us-east-1", PolicyArn=change.target,
                          PolicyDocument=document, SetAsDefault=True)
    name_param = "UserName" if change.operation == "PutUserPolicy" else "RoleName"
    return reader.run("iam", change.operation, "us-east-1", **{name_param: change.target},
                      PolicyName=change.policy_name, PolicyDocument=document)
