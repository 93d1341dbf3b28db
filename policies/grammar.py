"""Policy JSON -> frozen dataclasses, with AWS's grammar rules (kms.md §4.5, §4.8).

`parse_policy` raises `PolicyParseError` listing every grammar error it found.
Semantic advice (unknown actions, risky wildcards...) lives in `validator.py`;
an unknown condition operator is not a grammar error here: the engine treats the
clause as failing and the validator reports it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from policies.conditions import ConditionClause, parse_operator, value_text
from policies.matching import ActionMatcher, is_arn_pattern

VERSIONS = ("2012-10-17", "2008-10-17")
KEY_POLICY, IDENTITY_POLICY, TRUST_POLICY = "KEY_POLICY", "IDENTITY_POLICY", "TRUST_POLICY"
POLICY_TYPES = (KEY_POLICY, IDENTITY_POLICY, TRUST_POLICY)
KEY_POLICY_MAX_BYTES = 32768

_TOP_LEVEL = ("Version", "Id", "Statement")
_STATEMENT_ELEMENTS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                       "Resource", "NotResource", "Condition")
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_ALLOWED_CHARACTERS = re.compile(r"[^\t\n\r\u0020-\u00ff]")
_ACCOUNT_ID = re.compile(r"\d{12}\Z")
_PARTITION = r"aws(?:-cn|-us-gov|-iso|-iso-b|-eusc)?"
_NAME = r"[\w+=,.@-]{1,128}"
PRINCIPAL_ARN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):(?P<service>iam|sts)::(?P<account>\d{{12}}):"
    rf"(?P<resource>root|(?:user|role)(?:/[\x21-\x7e]*)?/{_NAME}|assumed-role/{_NAME}/{_NAME}|federated-user/{_NAME})\Z"
)
_UNIQUE_ID = re.compile(r"A(?:IDA|ROA)[A-Z0-9]{12,}\Z")
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9.-]+\.amazonaws\.com(?:\.cn)?\Z")
_ACTION = re.compile(r"[a-zA-Z0-9-]+:[A-Za-z0-9*?]+\Z")
_IDENTITY_SID = re.compile(r"[A-Za-z0-9]*\Z")


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str   # "ERROR" | "SECURITY_WARNING" | "WARNING" | "SUGGESTION"
    code: str       # e.g. "MISSING_PRINCIPAL"
    path: str       # e.g. "Statement[1].Principal.AWS[0]"
    message: str


class PolicyParseError(ValueError):
    """The document breaks the policy grammar; `findings` holds every error."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        first = findings[0]
        super().__init__(first.message if len(findings) == 1 else
                         f"{first.message} (and {len(findings) - 1} more problem(s))")


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A Principal / NotPrincipal element. Bare account ids are stored as root ARNs."""

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()
    aws_set: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def to_json(self) -> object:
        if self.wildcard and not (self.aws or self.service or self.federated or self.canonical_user):
            return "*"
        out: dict[str, object] = {}
        for name, values in (("AWS", ("*",) * self.wildcard + self.aws), ("Service", self.service),
                             ("Federated", self.federated), ("CanonicalUser", self.canonical_user)):
            if values:
                out[name] = values[0] if len(values) == 1 else list(values)
        return out


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str                                   # "Allow" | "Deny"
    principal: PrincipalSpec | None = None
    not_principal: PrincipalSpec | None = None
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditions: tuple[ConditionClause, ...] = ()
    variables: bool = True                        # policy variables are substituted (2012-10-17)
    action_matcher: ActionMatcher | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        return self.sid if self.sid else f"#{self.index}"

    @property
    def has_resource(self) -> bool:
        return bool(self.resources or self.not_resources)

    @property
    def resource_any(self) -> bool:
        return "*" in self.resources

    def matches_action(self, action_lower: str) -> bool:
        """Action / NotAction test (case-insensitive); a statement with neither matches nothing."""
        if self.action_matcher is None:
            return False
        hit = self.action_matcher.matches(action_lower)
        return not hit if self.not_actions else hit


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    id: str | None
    statements: tuple[Statement, ...]
    size: int                                     # bytes of the JSON text

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict equivalent to the parsed document."""
        out: dict[str, Any] = {"Version": self.version}
        if self.id is not None:
            out["Id"] = self.id
        out["Statement"] = [_statement_json(s) for s in self.statements]
        return out


def _statement_json(statement: Statement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if statement.sid is not None:
        out["Sid"] = statement.sid
    out["Effect"] = statement.effect
    if statement.principal is not None:
        out["Principal"] = statement.principal.to_json()
    if statement.not_principal is not None:
        out["NotPrincipal"] = statement.not_principal.to_json()
    for name, values in (("Action", statement.actions), ("NotAction", statement.not_actions),
                         ("Resource", statement.resources), ("NotResource", statement.not_resources)):
        if values:
            out[name] = values[0] if len(values) == 1 else list(values)
    if statement.conditions:
        block: dict[str, dict[str, object]] = {}
        for clause in statement.conditions:
            vals = clause.values
            block.setdefault(clause.operator, {})[clause.key] = vals[0] if len(vals) == 1 else list(vals)
        out["Condition"] = block
    return out


def account_root_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"


# ---- parsing ----

class _Parser:
    """Walks a document once, collecting every problem as a Finding."""

    def __init__(self, policy_type: str | None):
        self.policy_type = policy_type
        self.findings: list[Finding] = []

    def report(self, severity: str, code: str, path: str, message: str) -> None:
        self.findings.append(Finding(severity, code, path, message))

    def error(self, code: str, path: str, message: str) -> None:
        self.report("ERROR", code, path, message)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "ERROR"]

    # -- document --
    def load(self, document: str | dict) -> tuple[dict | None, int]:
        if isinstance(document, (bytes, bytearray)):
            document = document.decode("utf-8", errors="replace")
        if isinstance(document, str):
            text = document
            try:
                data = json.loads(text, object_pairs_hook=self._no_duplicates)
            except _DuplicateKey as exc:
                self.error("DUPLICATE_KEY", "", f"The policy repeats the element {exc.args[0]!r}.")
                return None, len(text.encode("utf-8"))
            except ValueError as exc:
                self.error("INVALID_JSON", "", f"The policy is not valid JSON: {exc}.")
                return None, len(text.encode("utf-8"))
            except RecursionError:  # nested deeper than any policy grammar allows
                self.error("INVALID_JSON", "", "The policy is not valid JSON: it is nested too deeply.")
                return None, len(text.encode("utf-8"))
        elif isinstance(document, dict):
            data = document
            text = json.dumps(document, ensure_ascii=False)
        else:
            self.error("INVALID_JSON", "", "The policy must be a JSON object.")
            return None, 0
        bad = _ALLOWED_CHARACTERS.search(text)
        if bad:
            self.error("INVALID_CHARACTER", "",
                       f"The policy contains the character U+{ord(bad.group()):04X}; only tab, line feed, "
                       "carriage return and U+0020 to U+00FF are allowed.")
        size = len(text.encode("utf-8"))
        if self.policy_type == KEY_POLICY and size > KEY_POLICY_MAX_BYTES:
            self.error("POLICY_TOO_LARGE", "",
                       f"The key policy is {size} bytes; the limit is {KEY_POLICY_MAX_BYTES} bytes.")
        if not isinstance(data, dict):
            self.error("INVALID_JSON", "", "The policy must be a JSON object.")
            return None, size
        return data, size

    @staticmethod
    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen[key] = value
        return seen

    def policy(self, data: dict, size: int) -> Policy | None:
        for key in data:
            if key not in _TOP_LEVEL:
                self.error("UNKNOWN_ELEMENT", key, f"Unknown top-level element {key!r}.")
        version = data.get("Version")
        if version is None:
            self.report("WARNING", "MISSING_VERSION", "Version",
                        "No Version: the policy is read as 2008-10-17, where policy variables are plain text.")
            version = "2008-10-17"
        elif version not in VERSIONS:
            self.error("INVALID_VERSION", "Version",
                       f"Version must be \"2012-10-17\" or \"2008-10-17\", not {version!r}.")
        policy_id = data.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            self.error("INVALID_TYPE", "Id", "Id must be a string.")
            policy_id = None
        raw = data.get("Statement")
        if raw is None:
            self.error("MISSING_STATEMENT", "Statement", "The policy has no Statement element.")
            return None
        if isinstance(raw, dict):
            items, paths = [raw], ["Statement"]
        elif isinstance(raw, list):
            items, paths = raw, [f"Statement[{i}]" for i in range(len(raw))]
            if not raw:
                self.error("MISSING_STATEMENT", "Statement", "The Statement list is empty.")
        else:
            self.error("INVALID_TYPE", "Statement", "Statement must be an object or a list of objects.")
            return None
        statements = []
        sids: dict[str, str] = {}
        for index, (item, path) in enumerate(zip(items, paths)):
            statement = self.statement(index, item, path, version == "2012-10-17")
            if statement is None:
                continue
            statements.append(statement)
            if statement.sid:
                if statement.sid in sids:
                    severity = "ERROR" if self.policy_type == IDENTITY_POLICY else "WARNING"
                    self.report(severity, "DUPLICATE_SID", f"{path}.Sid",
                                f"Sid {statement.sid!r} is also used by {sids[statement.sid]}.")
                sids[statement.sid] = path
        return Policy(version=version if version in VERSIONS else "2008-10-17", id=policy_id,
                      statements=tuple(statements), size=size)

    # -- statement --
    def statement(self, index: int, item: object, path: str, variables: bool) -> Statement | None:
        if not isinstance(item, dict):
            self.error("INVALID_TYPE", path, "Each statement must be a JSON object.")
            return None
        before = len(self.errors)
        for key in item:
            if key not in _STATEMENT_ELEMENTS:
                self.error("UNKNOWN_ELEMENT", f"{path}.{key}", f"Unknown statement element {key!r}.")
        sid = item.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                self.error("INVALID_TYPE", f"{path}.Sid", "Sid must be a string.")
                sid = None
            elif self.policy_type == IDENTITY_POLICY and not _IDENTITY_SID.match(sid):
                self.error("INVALID_SID", f"{path}.Sid",
                           f"Sid {sid!r} may hold only letters and digits in an identity policy.")
        effect = item.get("Effect")
        if effect is None:
            self.error("MISSING_EFFECT", f"{path}.Effect", "The statement has no Effect.")
        elif effect not in ("Allow", "Deny"):
            self.error("INVALID_EFFECT", f"{path}.Effect", f"Effect must be \"Allow\" or \"Deny\", not {effect!r}.")

        principal = not_principal = None
        if "Principal" in item and "NotPrincipal" in item:
            self.error("PRINCIPAL_AND_NOTPRINCIPAL", path, "A statement may have Principal or NotPrincipal, not both.")
        if "Principal" in item:
            principal = self.principal(item["Principal"], f"{path}.Principal")
        if "NotPrincipal" in item:
            not_principal = self.principal(item["NotPrincipal"], f"{path}.NotPrincipal")
        has_principal = "Principal" in item or "NotPrincipal" in item
        if self.policy_type in (KEY_POLICY, TRUST_POLICY) and not has_principal:
            self.error("MISSING_PRINCIPAL", path, "Policy contains a statement with no principal.")
        if self.policy_type == IDENTITY_POLICY and has_principal:
            self.error("PRINCIPAL_NOT_ALLOWED", f"{path}.Principal" if "Principal" in item else f"{path}.NotPrincipal",
                       "An identity policy must not specify a principal.")

        actions = self.string_list(item, "Action", path)
        not_actions = self.string_list(item, "NotAction", path)
        if "Action" in item and "NotAction" in item:
            self.error("ACTION_AND_NOTACTION", path, "A statement may have Action or NotAction, not both.")
        for name, values in (("Action", actions), ("NotAction", not_actions)):
            for i, action in enumerate(values):
                if action != "*" and not _ACTION.match(action):
                    self.error("INVALID_ACTION", self.item_path(item, path, name, i),
                               f"Action {action!r} must look like \"service:Name\" (wildcards * and ? allowed).")
        if "Action" not in item and "NotAction" not in item:
            self.missing(path, "MISSING_ACTION", "Action")

        resources = self.string_list(item, "Resource", path)
        not_resources = self.string_list(item, "NotResource", path)
        if "Resource" in item and "NotResource" in item:
            self.error("RESOURCE_AND_NOTRESOURCE", path, "A statement may have Resource or NotResource, not both.")
        if self.policy_type == TRUST_POLICY and ("Resource" in item or "NotResource" in item):
            self.error("RESOURCE_NOT_ALLOWED", path, "A role trust policy must not specify a Resource.")
        for name, values in (("Resource", resources), ("NotResource", not_resources)):
            for i, resource in enumerate(values):
                if resource != "*" and not is_arn_pattern(resource):
                    self.error("INVALID_ARN", self.item_path(item, path, name, i),
                               f"Resource {resource!r} must be in ARN format or \"*\".")
        if "Resource" not in item and "NotResource" not in item and self.policy_type != TRUST_POLICY:
            self.missing(path, "MISSING_RESOURCE", "Resource")

        conditions = self.conditions(item.get("Condition"), f"{path}.Condition") if "Condition" in item else ()
        if len(self.errors) > before:
            return None
        patterns = actions or not_actions
        return Statement(
            index=index, sid=sid, effect=effect, principal=principal, not_principal=not_principal,
            actions=actions, not_actions=not_actions, resources=resources, not_resources=not_resources,
            conditions=conditions, variables=variables,
            action_matcher=ActionMatcher(patterns) if patterns else None,
        )

    def missing(self, path: str, code: str, element: str) -> None:
        # KMS accepts such a statement in a key policy; it simply never applies (kms.md §4.2.5).
        if self.policy_type in (IDENTITY_POLICY, TRUST_POLICY):
            self.error(code, path, f"The statement has no {element} or Not{element}.")
        else:
            self.report("WARNING", "STATEMENT_HAS_NO_EFFECT", path,
                        f"The statement has no {element} or Not{element}, so it never applies.")

    @staticmethod
    def item_path(item: dict, path: str, name: str, i: int) -> str:
        return f"{path}.{name}[{i}]" if isinstance(item.get(name), list) else f"{path}.{name}"

    def string_list(self, item: dict, name: str, path: str) -> tuple[str, ...]:
        if name not in item:
            return ()
        value = item[name]
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.error("INVALID_TYPE", f"{path}.{name}", f"{name} must be a string or a non-empty list of strings.")
        return ()

    # -- principal --
    def principal(self, value: object, path: str) -> PrincipalSpec | None:
        if value == "*":
            return PrincipalSpec(wildcard=True)
        if not isinstance(value, dict) or not value:
            self.error("INVALID_PRINCIPAL", path,
                       "Principal must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::111122223333:root\"}.")
            return None
        lists: dict[str, list[str]] = {name: [] for name in _PRINCIPAL_TYPES}
        wildcard = False
        for kind, raw in value.items():
            if kind not in _PRINCIPAL_TYPES:
                self.error("INVALID_PRINCIPAL", f"{path}.{kind}", f"Unknown principal type {kind!r}.")
                continue
            entries = [raw] if isinstance(raw, str) else raw
            if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
                self.error("INVALID_PRINCIPAL", f"{path}.{kind}",
                           f"{kind} must be a string or a non-empty list of strings.")
                continue
            for i, entry in enumerate(entries):
                where = f"{path}.{kind}[{i}]" if isinstance(raw, list) else f"{path}.{kind}"
                if kind == "AWS":
                    normalized = self.aws_principal(entry, where)
                    if normalized == "*":
                        wildcard = True
                    elif normalized:
                        lists["AWS"].append(normalized)
                elif kind == "Service":
                    if entry != "*" and not _SERVICE_PRINCIPAL.match(entry):
                        self.error("INVALID_PRINCIPAL", where, f"{entry!r} is not a service principal.")
                    else:
                        lists["Service"].append(entry)
                else:
                    lists[kind].append(entry)
        aws = tuple(lists["AWS"])
        return PrincipalSpec(wildcard=wildcard, aws=aws, service=tuple(lists["Service"]),
                             federated=tuple(lists["Federated"]), canonical_user=tuple(lists["CanonicalUser"]),
                             aws_set=frozenset(aws))

    def aws_principal(self, entry: str, where: str) -> str | None:
        if entry == "*":
            return "*"
        if _ACCOUNT_ID.match(entry):
            return account_root_arn(entry)
        if PRINCIPAL_ARN.match(entry) or _UNIQUE_ID.match(entry):
            return entry
        hint = " Wildcards are not allowed in principal ARNs." if ("*" in entry or "?" in entry) else ""
        self.error("INVALID_PRINCIPAL", where, f"Invalid principal {entry!r}.{hint}")
        return None

    # -- condition --
    def conditions(self, block: object, path: str) -> tuple[ConditionClause, ...]:
        if not isinstance(block, dict):
            self.error("INVALID_CONDITION", path, "Condition must be an object of operators.")
            return ()
        clauses = []
        for operator, keys in block.items():
            if not isinstance(keys, dict) or not keys:
                self.error("INVALID_CONDITION", f"{path}.{operator}",
                           f"Condition operator {operator} must map condition keys to values.")
                continue
            base, qualifier, if_exists = parse_operator(operator)
            for key, raw in keys.items():
                entries = raw if isinstance(raw, list) else [raw]
                if not entries or not all(isinstance(v, (str, bool, int, float)) for v in entries):
                    self.error("INVALID_CONDITION", f"{path}.{operator}.{key}",
                               "A condition value must be a string, number, boolean or a non-empty list of them.")
                    continue
                clauses.append(ConditionClause(operator=operator, key=key,
                                               values=tuple(value_text(v) for v in entries),
                                               base=base, qualifier=qualifier, if_exists=if_exists))
        return tuple(clauses)


class _DuplicateKey(ValueError):
    pass


@dataclass(frozen=True)
class ParseResult:
    """Everything the validator needs: the raw dict, the statements that parsed, every finding."""

    data: dict | None
    policy: Policy | None          # holds only the statements without errors
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return self.policy is not None and not any(f.severity == "ERROR" for f in self.findings)

    def statement_path(self, index: int) -> str:
        return "Statement" if self.data is not None and isinstance(self.data.get("Statement"), dict) \
            else f"Statement[{index}]"

    def raw_statement(self, index: int) -> dict:
        raw = self.data.get("Statement") if self.data is not None else None
        return raw if isinstance(raw, dict) else raw[index]


def collect_findings(document: str | dict, policy_type: str | None = None) -> ParseResult:
    """Parse leniently, keeping every grammar finding. Used by the validator."""
    parser = _Parser(policy_type)
    data, size = parser.load(document)
    policy = parser.policy(data, size) if data is not None else None
    return ParseResult(data, policy, parser.findings)


def parse_policy(document: str | dict, policy_type: str | None = None) -> Policy:
    """Strict parse. `policy_type` ("KEY_POLICY" | "IDENTITY_POLICY" | "TRUST_POLICY") adds
    its rules: key and trust policies need a Principal, identity policies forbid one."""
    result = collect_findings(document, policy_type)
    if not result.ok:
        raise PolicyParseError([f for f in result.findings if f.severity == "ERROR"])
    return result.policy


@lru_cache(maxsize=2048)
def parse_policy_cached(text: str, policy_type: str | None = None) -> Policy:
    """Parse once per policy text (a policy version's JSON never changes)."""
    return parse_policy(text, policy_type)
