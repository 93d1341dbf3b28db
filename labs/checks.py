"""Grading a step: each check looks at the seat's current state, never at what the trainee says.

The checks are the grader, so they may see everything (both accounts' policies), unlike a principal:
  decision  the policy engine asked the question a real call would ask (policies.engine.evaluate_key_access
            with the key policy, the grants and the principal's real IAM policies)
  call      the audit trail of an account holds the call (audit.models.AuditEvent) since the step started
  policy    structural facts about a key policy or the IAM policies of a principal
  state     a key is enabled, an alias or a grant exists, a Region is enabled, a principal exists
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from accounts.models import Account, IamPolicy, IamRole, IamUser, InlinePolicy, RoleSession
from accounts.principals import Principal
from audit.models import AuditEvent
# The grants and condition keys exactly as keys.authz gathers them for a real call on the key.
from keys.authz import _grants_for, request_context
from keys.models import Alias, Grant, Key
from labs.format import PRINCIPAL_REF, Check, fill, flat_values
from policies.engine import AccessRequest, evaluate_key_access
from policies.grammar import parse_policy_cached

CHECK_SESSION = "LabCheck"


@dataclass(frozen=True)
class CheckResult:
    kind: str
    passed: bool
    message: str
    explanation: str = ""

    def as_json(self) -> dict:
        return {"kind": self.kind, "passed": self.passed, "message": self.message, "explanation": self.explanation}


class Missing(Exception):
    """Something a check names does not exist (yet): the check fails with this message."""


# ----------------------------------------------------------------------------------------------------------
# Resolving names of the lab file to rows of the seat
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrincipalRef:
    account_id: str
    kind: str       # root | user | role
    name: str       # "" for root

    @property
    def arn(self) -> str:
        if self.kind == "root":
            return f"arn:aws:iam::{self.account_id}:root"
        return f"arn:aws:iam::{self.account_id}:{self.kind}/{self.name}"

    @property
    def described(self) -> str:
        if self.kind == "root":
            return f"the root user of account {self.account_id}"
        return f"{self.kind} {self.name}"


def principal_ref(text: str, values: dict) -> PrincipalRef:
    match = PRINCIPAL_REF.fullmatch(text)
    account_id = values["accounts"][match.group("account")]
    if match.group("root"):
        return PrincipalRef(account_id, "root", "")
    return PrincipalRef(account_id, match.group("kind"), match.group("name"))


def principal_for(ref: PrincipalRef, session_name: str = CHECK_SESSION, save_session: bool = False) -> Principal:
    """The Principal a reference names. A role acts through a session: an unsaved one to evaluate, a saved
    one (save_session) to make calls as the role."""
    account = Account.objects.filter(id=ref.account_id).first()
    if account is None:
        raise Missing(f"account {ref.account_id} does not exist")
    if ref.kind == "root":
        return Principal.root(account)
    if ref.kind == "user":
        user = IamUser.objects.select_related("account").filter(account=account, name=ref.name).first()
        if user is None:
            raise Missing(f"account {ref.account_id} has no IAM user {ref.name} yet")
        return Principal.for_user(user)
    role = IamRole.objects.select_related("account").filter(account=account, name=ref.name).first()
    if role is None:
        raise Missing(f"account {ref.account_id} has no IAM role {ref.name} yet")
    if save_session:
        session = RoleSession.objects.create(role=role, session_name=session_name, source_arn=role.arn,
                                             expires_at=timezone.now() + timedelta(minutes=15))
    else:
        session = RoleSession(role=role, session_name=session_name)
    return Principal.for_session(session)


def key_for(name: str, values: dict) -> Key:
    key = values["keys"][name]
    found = Key.objects.select_related("account").filter(key_id=key["id"], region=key["region"],
                                                         account_id=key["arn"].split(":")[4]).first()
    if found is None:
        raise Missing(f"key {name} ({key['arn']}) does not exist")
    return found


def _short_action(action: str) -> str:
    return action.split(":", 1)[1]


def _without_prefix(explanation: str) -> str:
    # The check's role session is the grader's, not the trainee's: leave it out of what they read.
    explanation = explanation.replace(f" (session {CHECK_SESSION})", "")
    for prefix in ("Denied: ", "Allowed: "):
        if explanation.startswith(prefix):
            explanation = explanation[len(prefix):]
    return explanation.rstrip(".")


# ----------------------------------------------------------------------------------------------------------
# The four kinds
# ----------------------------------------------------------------------------------------------------------


def run_check(check: Check, values: dict, step_started_at) -> CheckResult:
    spec = fill(check.spec, flat_values(values))
    try:
        passed, message, explanation = _KINDS[check.kind](spec, values, step_started_at)
    except Missing as missing:
        passed, message, explanation = False, _default_message(check.kind, spec, values), f"{missing}."
    if check.message:  # the lab's own words for what the check asks, passed or not
        message = fill(check.message, flat_values(values))
    return CheckResult(check.kind, passed, message, "" if passed else explanation)


def _default_message(kind: str, spec: dict, values: dict) -> str:
    if kind == "decision":
        who = principal_ref(spec["principal"], values).described
        verb = "can" if spec["allowed"] else "cannot"
        return f"{who} {verb} {_short_action(spec['action'])} with key {spec['key']}"
    if kind == "call":
        who = principal_ref(spec["principal"], values).described
        return f"the trail of account {values['accounts'][spec['account']]} holds a {spec.get('outcome', 'success')}" \
               f"ful {spec['event']} call by {who}".replace("deniedful", "denied")
    if kind == "policy":
        target = f"the key policy of key {spec['key']}" if "key" in spec else \
            f"the IAM policies of {principal_ref(spec['principal'], values).described}"
        return f"{target} is as the step asks"
    return "the state is as the step asks"


def check_decision(spec: dict, values: dict, started_at) -> tuple[bool, str, str]:
    ref = principal_ref(spec["principal"], values)
    key = key_for(spec["key"], values)
    principal = principal_for(ref)
    action = spec["action"]
    context_pairs = spec.get("encryption_context")
    encryption_context = {str(k): str(v) for k, v in context_pairs.items()} if context_pairs is not None else None
    call_like = SimpleNamespace(source_ip="127.0.0.1", region=key.region, requested_alias=None)
    request = AccessRequest(
        caller=principal.caller(), action=action, resource_arn=key.arn, resource_account=key.account_id,
        region=key.region, context=request_context(call_like, key, action, encryption_context=encryption_context),
        encryption_context=encryption_context)
    decision = evaluate_key_access(
        request, key_policy=parse_policy_cached(key.policy), key_account=key.account_id, key_region=key.region,
        identity_policies=principal.identity_policies(), session_policy=principal.session_policy(),
        grants=_grants_for(principal, key), caller_region_enabled=principal.account.region_enabled(key.region))
    verb = _short_action(action)
    message = _default_message("decision", spec, values)
    if decision.allowed == spec["allowed"]:
        return True, message, ""
    if spec["allowed"]:
        return False, message, f"{ref.described} cannot {verb} yet: {_without_prefix(decision.explanation)}."
    return False, message, f"{ref.described} can still {verb}: {_without_prefix(decision.explanation)}."


def check_call(spec: dict, values: dict, started_at) -> tuple[bool, str, str]:
    ref = principal_ref(spec["principal"], values)
    account_id = values["accounts"][spec["account"]]
    events = AuditEvent.objects.filter(recipient_account=account_id, event_name=spec["event"],
                                       event_time__gte=started_at, caller_account=ref.account_id)
    if account_id == ref.account_id:
        if ref.kind == "role":
            events = events.filter(principal_arn__startswith=f"arn:aws:sts::{ref.account_id}:assumed-role/{ref.name}/")
        else:
            events = events.filter(principal_arn=ref.arn)
    else:
        # The key owner's copy names the caller only by account and principal id (audit.trail.owner_identity).
        events = events.filter(**_owner_copy_principal_filter(ref))
    if "key" in spec:
        events = events.filter(resource_arn=values["keys"][spec["key"]]["arn"])
    outcome = spec.get("outcome", "success")
    events = events.filter(error_code="") if outcome == "success" else events.filter(error_code="AccessDenied")
    message = _default_message("call", spec, values)
    if events.exists():
        return True, message, ""
    on_key = f" on key {values['keys'][spec['key']]['arn']}" if "key" in spec else ""
    what = "no successful" if outcome == "success" else "no denied"
    return False, message, (f"The trail of account {account_id} shows {what} {spec['event']} call by "
                            f"{ref.described}{on_key} since this step started. Make the call, then check again.")


def _owner_copy_principal_filter(ref: PrincipalRef) -> dict:
    if ref.kind == "root":
        return {"record__userIdentity__principalId": ref.account_id}
    model = IamUser if ref.kind == "user" else IamRole
    unique_id = (model.objects.filter(account_id=ref.account_id, name=ref.name)
                 .values_list("unique_id", flat=True).first())
    if unique_id is None:
        raise Missing(f"account {ref.account_id} has no IAM {ref.kind} {ref.name} yet")
    if ref.kind == "user":
        return {"record__userIdentity__principalId": unique_id}
    # A role session's principal id is "<role unique id>:<session name>".
    return {"record__userIdentity__principalId__startswith": f"{unique_id}:"}


# ---- policy ----


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(document: dict) -> list[dict]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def _aws_principals(statement: dict) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(p) for p in _as_list(principal.get("AWS"))]
    return []


def _covers(patterns, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(patterns))


def _names(statement: dict, arns: set[str]) -> bool:
    return any(p in arns for p in _aws_principals(statement))


def _documents(spec: dict, values: dict) -> tuple[str, list[tuple[str, dict]]]:
    if "key" in spec:
        key = key_for(spec["key"], values)
        return f"the key policy of key {spec['key']}", [("key policy", json.loads(key.policy))]
    ref = principal_ref(spec["principal"], values)
    if ref.kind == "root":
        return ref.described, []
    owner = {ref.kind: (IamUser if ref.kind == "user" else IamRole).objects.filter(
        account_id=ref.account_id, name=ref.name).first()}
    if owner[ref.kind] is None:
        raise Missing(f"account {ref.account_id} has no IAM {ref.kind} {ref.name} yet")
    found = [(f"inline policy {p.name}", p.document) for p in InlinePolicy.objects.filter(**owner)]
    relation = "users" if ref.kind == "user" else "roles"
    found += [(f"managed policy {p.name}", p.document)
              for p in IamPolicy.objects.filter(**{relation: owner[ref.kind]}).select_related("default_version")]
    if ref.kind == "user":
        user = owner["user"]
        found += [(f"inline policy {p.name} of group {p.group.name}", p.document)
                  for p in InlinePolicy.objects.filter(group__members=user).select_related("group")]
        found += [(f"managed policy {p.name} (through a group)", p.document)
                  for p in IamPolicy.objects.filter(groups__members=user).select_related("default_version")]
    documents = []
    for name, text in found:
        try:
            documents.append((name, json.loads(text or "{}")))
        except ValueError:
            continue
    return f"the IAM policies of {ref.described}", documents


def _allowed_actions(documents, spec_allows: dict, values: dict, on_key_policy: bool) -> dict[str, bool]:
    """For each action of spec_allows: whether some Allow statement gives it to the named principal/key."""
    arns: set[str] = set()
    if "account" in spec_allows:
        account_id = values["accounts"][spec_allows["account"]]
        arns |= {f"arn:aws:iam::{account_id}:root", account_id}
    if "principal" in spec_allows:
        arns.add(principal_ref(spec_allows["principal"], values).arn)
    key_arn = values["keys"][spec_allows["key"]]["arn"] if "key" in spec_allows else None
    result = {}
    for action in spec_allows["actions"]:
        result[action] = False
        for _, document in documents:
            for statement in _statements(document):
                if statement.get("Effect") != "Allow" or not _covers(statement.get("Action"), action):
                    continue
                if on_key_policy and arns and not _names(statement, arns):
                    continue
                resources = _as_list(statement.get("Resource"))
                if key_arn and not any(fnmatch.fnmatchcase(key_arn, str(r)) for r in resources):
                    continue
                result[action] = True
    return result


_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}")


def check_policy(spec: dict, values: dict, started_at) -> tuple[bool, str, str]:
    target, documents = _documents(spec, values)
    on_key_policy = "key" in spec
    key_account = values["keys"][spec["key"]]["arn"].split(":")[4] if on_key_policy else None
    problems = []
    if "allows" in spec:
        missing = [a for a, ok in _allowed_actions(documents, spec["allows"], values, on_key_policy).items() if not ok]
        if missing:
            who = _allows_who(spec["allows"], values)
            problems.append(f"{target} {_verb(target, 'does not', 'do not')} allow {', '.join(missing)}{who} yet")
    if "not_allows" in spec:
        extra = [a for a, ok in _allowed_actions(documents, spec["not_allows"], values, on_key_policy).items() if ok]
        if extra:
            who = _allows_who(spec["not_allows"], values)
            problems.append(f"{target} still {_verb(target, 'allows', 'allow')} {', '.join(extra)}{who}")
    for name, document in documents:
        for index, statement in enumerate(_statements(document)):
            where = f"statement {statement.get('Sid') or index} of the {name}"
            allow = statement.get("Effect") == "Allow"
            if spec.get("no_wildcard_principal") and allow and "*" in _aws_principals(statement):
                problems.append(f"{where} allows the principal \"*\" (everyone)")
            if spec.get("no_full_access_for_other_accounts") and allow and _covers(statement.get("Action"), "kms:*") \
                    and any(_other_account(p, key_account) for p in _aws_principals(statement)):
                problems.append(f"{where} gives kms:* to another account")
            if spec.get("resources_are_key_arns") and allow and any(
                    str(a).lower().startswith("kms:") for a in _as_list(statement.get("Action"))):
                wrong = [str(r) for r in _as_list(statement.get("Resource")) if not _KEY_ARN.fullmatch(str(r))]
                if wrong:
                    problems.append(f"{where} names {', '.join(wrong)} as its Resource, not a key ARN (an IAM "
                                    "policy cannot name a key by its alias)")
            if spec.get("no_explicit_deny") and statement.get("Effect") == "Deny":
                problems.append(f"{where} is an explicit Deny")
    if "condition_key" in spec:
        wanted = spec["condition_key"].lower()
        if not any(statement.get("Effect") == "Allow" and _uses_condition_key(statement, wanted)
                   for _, document in documents for statement in _statements(document)):
            problems.append(f"no Allow statement of {target} has a condition on {spec['condition_key']}")
    message = _default_message("policy", spec, values)
    if problems:
        return False, message, "; ".join(problems) + "."
    return True, message, ""


def _verb(target: str, one: str, several: str) -> str:
    return several if target.startswith("the IAM policies") else one


def _allows_who(spec_allows: dict, values: dict) -> str:
    parts = []
    if "principal" in spec_allows:
        parts.append(f" to {principal_ref(spec_allows['principal'], values).described}")
    if "account" in spec_allows:
        parts.append(f" to account {values['accounts'][spec_allows['account']]}")
    if "key" in spec_allows:
        parts.append(f" on {values['keys'][spec_allows['key']]['arn']}")
    return "".join(parts)


def _other_account(principal: str, key_account: str | None) -> bool:
    match = re.search(r"(\d{12})", principal)
    return principal == "*" or (match is not None and match.group(1) != key_account)


def _uses_condition_key(statement: dict, wanted: str) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for clauses in condition.values():
        if isinstance(clauses, dict) and any(str(name).lower() == wanted or
                                             (wanted.endswith(":") and str(name).lower().startswith(wanted))
                                             for name in clauses):
            return True
    return False


# ---- state ----


def check_state(spec: dict, values: dict, started_at) -> tuple[bool, str, str]:
    message = _default_message("state", spec, values)
    if "exists" in spec:
        ref = principal_ref(spec["exists"], values)
        principal_for(ref)  # raises Missing
        return True, f"{ref.described} exists in account {ref.account_id}", ""
    if "region_enabled" in spec:
        account_id = values["accounts"][spec["account"]]
        account = Account.objects.filter(id=account_id).first()
        message = f"account {account_id} has enabled Region {spec['region_enabled']}"
        if account is not None and account.region_enabled(spec["region_enabled"]):
            return True, message, ""
        return False, message, f"Region {spec['region_enabled']} is not enabled in account {account_id} yet."
    key = key_for(spec["key"], values)
    if "enabled" in spec:
        message = f"key {spec['key']} is {'enabled' if spec['enabled'] else 'disabled'}"
        ok = (key.state == "Enabled") == spec["enabled"]
        return ok, message, "" if ok else f"Key {key.arn} is {key.state}."
    if "alias" in spec:
        message = f"alias {spec['alias']} names key {spec['key']}"
        alias = Alias.objects.filter(account_id=key.account_id, region=key.region, name=spec["alias"]).first()
        if alias is None:
            return False, message, f"There is no alias {spec['alias']} in account {key.account_id} ({key.region})."
        if alias.key_id != key.pk:
            return False, message, f"Alias {spec['alias']} names another key."
        return True, message, ""
    return _check_grant(spec["grant"], key, values)


def _check_grant(spec: dict, key: Key, values: dict) -> tuple[bool, str, str]:
    ref = principal_ref(spec["grantee"], values)
    grantee = ref.arn
    operations = set(spec.get("operations", []))
    message = f"a grant on key {key.key_id} gives {ref.described} {', '.join(sorted(operations)) or 'access'}"
    grants = list(Grant.objects.filter(key=key, grantee_principal=grantee))
    if not grants:
        return False, message, f"No grant on key {key.arn} names {grantee} as its grantee."
    for grant in grants:
        if not operations <= set(grant.operations):
            continue
        constraints = grant.constraints or {}
        wanted = {"EncryptionContextSubset": spec.get("encryption_context_subset"),
                  "EncryptionContextEquals": spec.get("encryption_context_equals")}
        if any(value is not None and constraints.get(name) != value for name, value in wanted.items()):
            continue
        return True, message, ""
    return False, message, (f"The grants on key {key.arn} for {grantee} do not give "
                            f"{', '.join(sorted(operations))} with the constraints the step asks for.")


_KINDS = {"decision": check_decision, "call": check_call, "policy": check_policy, "state": check_state}
