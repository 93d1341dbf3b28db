"""Lab files (labs/*.yaml): read, check and hold them as Lab objects.

A lab file is YAML with these top-level fields (README "Teaching with KMS Console" has a complete example):

  id, title, summary, minutes, objectives   what the Labs page lists
  region                                    the Region of the seat's keys (default us-west-2)
  seat:                                     what is generated for every seat
    accounts: [owner, user]                 a 12-digit id each: {{accounts.owner}}
    keys: {shared: {account: owner}}        a key id each (in the lab's Region unless the entry names its
                                            own): {{keys.shared.id}}, {{keys.shared.arn}}, {{keys.shared.region}}
    logins: {admin: {account: owner, user: KeyAdmin}}
                                            a console password and an access key each (given to the
                                            trainee on the seat card): {{logins.admin.access_key_id}},
                                            {{logins.admin.arn}}, {{logins.admin.user}}
  scenario:                                 the seat's starting state, in the scenario format, with
                                            {{...}} placeholders for every per-seat value
  steps:                                    id, title, instructions (Markdown), checks, hints,
                                            question (optional), solution

Every string of the file may use the placeholders; a secret (password, secret access key) never is one, so it
cannot leak into instructions. Principals are written `<account>:root`, `<account>:user/<name>` or
`<account>:role/<name>`, where <account> is a name from seat.accounts.

Problems are reported like scenario files: `<file>: <entry path>: <problem>`, all at once, nothing created.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from accounts.regions import is_known_region
from kmsconsole.scenario_document import (
    BOOLEAN,
    INTEGER,
    LIST,
    MAPPING,
    STRING,
    Problems,
    ScenarioError,
    at,
    check_fields,
    check_string_list,
    describe,
    read_file,
)

LABS_DIR = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
LAB_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
PRINCIPAL_REF = re.compile(
    r"(?P<account>[a-z][a-z0-9_-]{0,31}):(?:(?P<root>root)|(?P<kind>user|role)/(?P<name>[\w+=,.@-]{1,64}))")
DEFAULT_REGION = "us-west-2"

LAB_FIELDS = {
    "id": STRING, "title": STRING, "summary": STRING, "minutes": INTEGER, "objectives": LIST, "region": STRING,
    "seat": MAPPING, "scenario": MAPPING, "steps": LIST,
}
SEAT_FIELDS = {"accounts": LIST, "keys": MAPPING, "logins": MAPPING}
STEP_FIELDS = {
    "id": STRING, "title": STRING, "instructions": STRING, "checks": LIST, "hints": LIST, "question": MAPPING,
    "solution": LIST,
}
QUESTION_FIELDS = {"prompt": STRING, "answer": STRING}
OPERATION_FIELDS = {"as": STRING, "call": STRING, "params": MAPPING, "region": STRING, "expect_error": STRING}

# Per check kind: its fields (besides kind, message, guard) and the required ones.
CHECK_FIELDS = {
    "decision": ({"principal": STRING, "action": STRING, "key": STRING, "allowed": BOOLEAN,
                  "encryption_context": MAPPING, "region": STRING}, ("principal", "action", "key", "allowed")),
    "call": ({"account": STRING, "principal": STRING, "event": STRING, "key": STRING, "outcome": STRING},
             ("account", "principal", "event")),
    "policy": ({"key": STRING, "principal": STRING, "allows": MAPPING, "not_allows": MAPPING,
                "no_wildcard_principal": BOOLEAN, "no_full_access_for_other_accounts": BOOLEAN,
                "resources_are_key_arns": BOOLEAN, "no_explicit_deny": BOOLEAN, "condition_key": STRING}, ()),
    "state": ({"key": STRING, "enabled": BOOLEAN, "alias": STRING, "grant": MAPPING, "account": STRING,
               "region_enabled": STRING, "exists": STRING}, ()),
}
CHECK_COMMON = {"kind": STRING, "message": STRING, "guard": BOOLEAN}
ALLOWS_FIELDS = {"principal": STRING, "account": STRING, "actions": LIST, "key": STRING}
GRANT_FIELDS = {"grantee": STRING, "operations": LIST, "encryption_context_subset": MAPPING,
                "encryption_context_equals": MAPPING}
CALL_OUTCOMES = ("success", "denied")


class LabError(ScenarioError):
    """A lab file that cannot be used; same shape and message format as a scenario file's problems."""


@dataclass(frozen=True)
class Check:
    kind: str
    spec: dict          # the check's fields, placeholders not yet filled in
    message: str = ""   # what passing means, in the trainee's words (a default is made from the spec)
    # A guard holds from the start and must keep holding ("Eve still cannot use the key"); every other check
    # fails at the start of its step (`labs verify` makes sure).
    guard: bool = False


@dataclass(frozen=True)
class Operation:
    principal: str       # principal reference, e.g. "user:role/ExampleRole"
    service: str         # "kms", "iam", "sts"
    name: str            # "PutKeyPolicy"
    params: dict
    region: str = ""
    expect_error: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    instructions: str
    checks: tuple[Check, ...]
    hints: tuple[str, ...]
    question: dict | None
    solution: tuple[Operation, ...]


@dataclass(frozen=True)
class SeatShape:
    accounts: tuple[str, ...]
    keys: dict            # name -> {"account": name}
    logins: dict          # name -> {"account": name, "user": IAM user name}


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    summary: str
    minutes: int
    objectives: tuple[str, ...]
    region: str
    seat: SeatShape
    scenario: dict = field(repr=False)
    steps: tuple[Step, ...] = ()
    source: str = ""
    order: int = 0

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise LookupError(f"lab {self.id} has no step {step_id!r}")

    @property
    def step_ids(self) -> list[str]:
        return [step.id for step in self.steps]


# ----------------------------------------------------------------------------------------------------------
# Placeholders
# ----------------------------------------------------------------------------------------------------------


def placeholder_names(shape: SeatShape) -> set[str]:
    names = {"region", "seat"}
    names |= {f"accounts.{name}" for name in shape.accounts}
    for name in shape.keys:
        names |= {f"keys.{name}.id", f"keys.{name}.arn", f"keys.{name}.region"}
    for name in shape.logins:
        names |= {f"logins.{name}.{part}" for part in ("user", "account", "arn", "access_key_id")}
    return names


def fill(value, values: dict):
    """`value` (a string, list or mapping, at any depth) with every {{name}} replaced by values[name]."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), value)
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, dict):
        return {fill(name, values): fill(item, values) for name, item in value.items()}
    return value


def _report_unknown_placeholders(value, path: str, known: set[str], problems: Problems) -> None:
    if isinstance(value, str):
        for name in PLACEHOLDER.findall(value):
            if name not in known:
                secret = any(word in name for word in ("password", "secret"))
                if secret:
                    why = " (secrets are never placeholders: they are on the seat card only)"
                elif not known:
                    why = " (this text is shown before any seat exists, so it takes no placeholders)"
                else:
                    why = f" (known: {', '.join(sorted(known))})"
                problems.add(path, f"placeholder {{{{{name}}}}} has no value{why}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _report_unknown_placeholders(item, at(path, index), known, problems)
    elif isinstance(value, dict):
        for name, item in value.items():
            _report_unknown_placeholders(name, path, known, problems)
            _report_unknown_placeholders(item, at(path, str(name)), known, problems)


def flat_values(seat_values: dict) -> dict:
    """Seat.values (nested) as the flat {"accounts.owner": ...} mapping placeholders are filled from."""
    flat = {}

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for name, item in value.items():
                walk(f"{prefix}.{name}" if prefix else name, item)
        else:
            flat[prefix] = value

    walk("", seat_values)
    return flat


def example_values(shape: SeatShape, region: str) -> dict:
    """Values of the right form for every placeholder: the file is checked as a scenario with these."""
    accounts = {name: f"{900000000000 + index:012d}" for index, name in enumerate(shape.accounts, start=1)}
    values = {"region": region, "seat": 1, "accounts": accounts, "keys": {}, "logins": {}}
    for index, (name, key) in enumerate(shape.keys.items()):
        account = accounts.get(key["account"], "900000000000")
        key_id = str(uuid.UUID(int=index + 1))
        key_region = key.get("region", region)
        values["keys"][name] = {"id": key_id, "region": key_region,
                                "arn": f"arn:aws:kms:{key_region}:{account}:key/{key_id}"}
    for index, (name, login) in enumerate(shape.logins.items()):
        account = accounts.get(login["account"], "900000000000")
        values["logins"][name] = {"user": login["user"], "account": account,
                                  "arn": f"arn:aws:iam::{account}:user/{login['user']}",
                                  "access_key_id": f"AKIALABEXAMPLE{index:06d}"}
    return values


# ----------------------------------------------------------------------------------------------------------
# Checking a file
# ----------------------------------------------------------------------------------------------------------


def parse_lab(document, source: str, order: int = 0) -> Lab:
    """Check a lab document; every problem at once as LabError, else the Lab."""
    problems = Problems(source)
    fields = check_fields(document, "", LAB_FIELDS, ("id", "title", "summary", "seat", "scenario", "steps"), problems)
    if "id" in fields and not LAB_ID.fullmatch(fields["id"]):
        problems.add("id", f"{fields['id']!r} is not a lab id (lower-case letters, digits and -)")
    region = fields.get("region", DEFAULT_REGION)
    if not is_known_region(region):
        problems.add("region", f"unknown region {region!r}")
    objectives = tuple(check_string_list(fields.get("objectives", []), "objectives", problems))
    shape = _check_seat(fields.get("seat", {}), problems)
    # What the Labs page lists is shown before any seat exists: no placeholders there.
    for name in ("title", "summary", "objectives"):
        _report_unknown_placeholders(fields.get(name, ""), name, set(), problems)
    known = placeholder_names(shape)
    scenario = fields.get("scenario", {})
    _check_scenario(scenario, shape, region, known, problems)
    steps = []
    for index, entry in enumerate(fields.get("steps", [])):
        step = _check_step(entry, at("steps", index), shape, scenario, known, problems)
        if step is not None:
            problems.unique("step id", step.id, at(at("steps", index), "id"))
            steps.append(step)
    if "steps" in fields and not fields["steps"]:
        problems.add("steps", "a lab needs at least one step")
    problems.raise_if_any()
    return Lab(id=fields["id"], title=fields["title"], summary=fields["summary"], minutes=fields.get("minutes", 15),
               objectives=objectives, region=region, seat=shape, scenario=scenario, steps=tuple(steps),
               source=source, order=order)


def load_lab(path: str | Path, order: int = 0) -> Lab:
    source = str(path)
    try:
        return parse_lab(read_file(path), source, order)
    except LabError:
        raise
    except ScenarioError as error:
        raise LabError(error.source, error.problems) from None


def _check_seat(entry: dict, problems: Problems) -> SeatShape:
    fields = check_fields(entry, "seat", SEAT_FIELDS, ("accounts",), problems)
    accounts = tuple(check_string_list(fields.get("accounts", []), "seat.accounts", problems))
    for index, name in enumerate(accounts):
        if not NAME.fullmatch(name):
            problems.add(at("seat.accounts", index), f"{name!r} is not a name (lower-case letters, digits, _ and -)")
        problems.unique("account name", name, at("seat.accounts", index))
    keys, logins = {}, {}
    for name, key in fields.get("keys", {}).items():
        path = at("seat.keys", str(name))
        key_fields = check_fields(key, path, {"account": STRING, "region": STRING}, ("account",), problems)
        if "region" in key_fields and not is_known_region(key_fields["region"]):
            problems.add(at(path, "region"), f"unknown region {key_fields['region']!r}")
        if "account" in key_fields and key_fields["account"] not in accounts:
            problems.add(at(path, "account"), f"no account named {key_fields['account']!r} in seat.accounts")
        if not NAME.fullmatch(str(name)):
            problems.add(path, f"{name!r} is not a name (lower-case letters, digits, _ and -)")
        keys[str(name)] = key_fields
    for name, login in fields.get("logins", {}).items():
        path = at("seat.logins", str(name))
        login_fields = check_fields(login, path, {"account": STRING, "user": STRING}, ("account", "user"), problems)
        if "account" in login_fields and login_fields["account"] not in accounts:
            problems.add(at(path, "account"), f"no account named {login_fields['account']!r} in seat.accounts")
        if not NAME.fullmatch(str(name)):
            problems.add(path, f"{name!r} is not a name (lower-case letters, digits, _ and -)")
        logins[str(name)] = login_fields
    return SeatShape(accounts=accounts, keys=keys, logins=logins)


def _check_scenario(scenario: dict, shape: SeatShape, region: str, known: set[str], problems: Problems) -> None:
    from kmsconsole.scenario import check_document

    _report_unknown_placeholders(scenario, "scenario", known, problems)
    if problems.items:
        return
    entries = scenario.get("accounts")
    if not isinstance(entries, list):
        problems.add("scenario", "missing required field 'accounts' (a list)")
        return
    values = example_values(shape, region)
    filled = fill(copy.deepcopy(scenario), flat_values(values))
    filled.setdefault("version", 1)
    by_id = {entry.get("id"): entry for entry in filled["accounts"] if isinstance(entry, dict)}
    for name, account_id in values["accounts"].items():
        if account_id not in by_id:
            problems.add("scenario.accounts", f"no entry with id \"{{{{accounts.{name}}}}}\" for account {name}")
    for name, login in shape.logins.items():
        account = by_id.get(values["accounts"].get(login.get("account")), {})
        if not any(isinstance(u, dict) and u.get("name") == login.get("user") for u in account.get("users", [])):
            problems.add(at("seat.logins", name), f"account {login.get('account')} of the scenario has no user "
                                                  f"{login.get('user')!r}")
    for name, key in shape.keys.items():
        account = by_id.get(values["accounts"].get(key.get("account")), {})
        key_id = values["keys"][name]["id"]
        if not any(isinstance(k, dict) and k.get("id") == key_id for k in account.get("keys", [])):
            problems.add(at("seat.keys", name), f"account {key.get('account')} of the scenario has no key with "
                                                f"id \"{{{{keys.{name}.id}}}}\"")
    try:
        check_document(provision_document(filled, shape, values, example_secrets(shape)), "scenario")
    except ScenarioError as error:
        for path, message in error.problems:
            problems.add(at("scenario", path) if path else "scenario", message)


def example_secrets(shape: SeatShape) -> dict:
    return {name: {"password": "example-password", "secret_access_key": "example/secret"} for name in shape.logins}


def provision_document(filled: dict, shape: SeatShape, values: dict, secrets: dict) -> dict:
    """The seat's scenario document: the filled-in template plus each login's access key. Passwords are set
    apart (labs/seats.py) with a hasher suited to generated passwords."""
    document = {"version": 1, **{k: v for k, v in filled.items() if k != "version"}}
    by_id = {entry["id"]: entry for entry in document["accounts"]}
    for name, login in shape.logins.items():
        account = by_id.get(values["accounts"].get(login["account"]))
        for user in (account or {}).get("users", []):
            if user.get("name") == login["user"]:
                user["access_keys"] = list(user.get("access_keys", [])) + [{
                    "access_key_id": values["logins"][name]["access_key_id"],
                    "secret_access_key": secrets[name]["secret_access_key"]}]
    return document


def template_principals(scenario: dict, shape: SeatShape, region: str) -> set[str]:
    """Principal references the template itself creates: root of each account, its users and roles."""
    values = flat_values(example_values(shape, region))
    ids = {values[f"accounts.{name}"]: name for name in shape.accounts}
    found = set()
    for entry in scenario.get("accounts", []):
        if not isinstance(entry, dict):
            continue
        account = ids.get(fill(entry.get("id", ""), values)) if isinstance(entry.get("id"), str) else None
        if account is None:
            continue
        found.add(f"{account}:root")
        for kind, field_name in (("user", "users"), ("role", "roles")):
            for item in entry.get(field_name, []) or []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    found.add(f"{account}:{kind}/{item['name']}")
    return found


def _check_principal_ref(value: str, path: str, shape: SeatShape, problems: Problems) -> bool:
    match = PRINCIPAL_REF.fullmatch(value)
    if not match:
        problems.add(path, f"{value!r} is not a principal (<account>:root, <account>:user/<name> or "
                           "<account>:role/<name>)")
        return False
    if match.group("account") not in shape.accounts:
        problems.add(path, f"no account named {match.group('account')!r} in seat.accounts")
        return False
    return True


def _check_key_ref(value: str, path: str, shape: SeatShape, problems: Problems) -> None:
    if value not in shape.keys:
        problems.add(path, f"no key named {value!r} in seat.keys")


def _check_step(entry, path: str, shape: SeatShape, scenario: dict, known: set[str], problems: Problems) -> Step | None:
    fields = check_fields(entry, path, STEP_FIELDS, ("id", "title", "instructions", "checks", "solution"), problems)
    _report_unknown_placeholders(entry if isinstance(entry, dict) else {}, path, known, problems)
    if "id" in fields and not NAME.fullmatch(fields["id"]):
        problems.add(at(path, "id"), f"{fields['id']!r} is not a step id (lower-case letters, digits, _ and -)")
    checks = []
    for index, check in enumerate(fields.get("checks", [])):
        parsed = _check_check(check, at(at(path, "checks"), index), shape, problems)
        if parsed is not None:
            checks.append(parsed)
    if "checks" in fields and not fields["checks"]:
        problems.add(at(path, "checks"), "a step needs at least one check")
    hints = tuple(check_string_list(fields.get("hints", []), at(path, "hints"), problems))
    question = None
    if "question" in fields:
        question = check_fields(fields["question"], at(path, "question"), QUESTION_FIELDS, ("prompt",), problems)
    solution = []
    for index, operation in enumerate(fields.get("solution", [])):
        parsed = _check_operation(operation, at(at(path, "solution"), index), shape, problems)
        if parsed is not None:
            solution.append(parsed)
    if not {"id", "title", "instructions"} <= fields.keys():
        return None
    return Step(id=fields["id"], title=fields["title"], instructions=fields["instructions"], checks=tuple(checks),
                hints=hints, question=question, solution=tuple(solution))


def _check_check(entry, path: str, shape: SeatShape, problems: Problems) -> Check | None:
    if not isinstance(entry, dict):
        problems.add(path, f"expected a mapping, got {describe(entry)}")
        return None
    kind = entry.get("kind")
    if kind not in CHECK_FIELDS:
        problems.add(at(path, "kind"), f"unknown check kind {kind!r} (expected one of: {', '.join(CHECK_FIELDS)})")
        return None
    own, required = CHECK_FIELDS[kind]
    fields = check_fields(entry, path, {**CHECK_COMMON, **own}, ("kind", *required), problems)
    for name in ("principal",):
        if name in fields:
            _check_principal_ref(fields[name], at(path, name), shape, problems)
    if "key" in fields:
        _check_key_ref(fields["key"], at(path, "key"), shape, problems)
    if "account" in fields and fields["account"] not in shape.accounts:
        problems.add(at(path, "account"), f"no account named {fields['account']!r} in seat.accounts")
    if kind == "call" and fields.get("outcome", "success") not in CALL_OUTCOMES:
        problems.add(at(path, "outcome"), f"{fields['outcome']!r} is not an outcome (success or denied)")
    if kind == "decision" and "action" in fields and not re.fullmatch(r"kms:[A-Za-z]+", fields["action"]):
        problems.add(at(path, "action"), f"{fields['action']!r} is not a KMS action such as kms:Encrypt")
    if kind == "policy":
        _check_policy_check(fields, path, shape, problems)
    if kind == "state":
        _check_state_check(fields, path, shape, problems)
    return Check(kind=kind, spec={k: v for k, v in fields.items() if k not in CHECK_COMMON},
                 message=fields.get("message", ""), guard=fields.get("guard", False))


def _check_policy_check(fields: dict, path: str, shape: SeatShape, problems: Problems) -> None:
    if ("key" in fields) == ("principal" in fields):
        problems.add(path, "a policy check names exactly one of 'key' (its key policy) or 'principal' "
                           "(its IAM policies)")
    facts = [name for name in CHECK_FIELDS["policy"][0] if name not in ("key", "principal") and name in fields]
    if not facts:
        problems.add(path, "a policy check states at least one fact (allows, not_allows, no_wildcard_principal, "
                           "no_full_access_for_other_accounts, resources_are_key_arns, no_explicit_deny, "
                           "condition_key)")
    for name in ("allows", "not_allows"):
        if name not in fields:
            continue
        allows = check_fields(fields[name], at(path, name), ALLOWS_FIELDS, ("actions",), problems)
        check_string_list(allows.get("actions", []), at(at(path, name), "actions"), problems)
        if "principal" in allows:
            _check_principal_ref(allows["principal"], at(at(path, name), "principal"), shape, problems)
        if "account" in allows and allows["account"] not in shape.accounts:
            problems.add(at(at(path, name), "account"), f"no account named {allows['account']!r} in seat.accounts")
        if "key" in allows:
            _check_key_ref(allows["key"], at(at(path, name), "key"), shape, problems)


def _check_state_check(fields: dict, path: str, shape: SeatShape, problems: Problems) -> None:
    facts = [name for name in ("enabled", "alias", "grant", "region_enabled", "exists") if name in fields]
    if len(facts) != 1:
        problems.add(path, "a state check states exactly one of: enabled, alias, grant, region_enabled, exists")
        return
    fact = facts[0]
    if fact in ("enabled", "alias", "grant") and "key" not in fields:
        problems.add(path, f"a state check of {fact!r} names its 'key'")
    if fact == "region_enabled" and "account" not in fields:
        problems.add(path, "a state check of 'region_enabled' names its 'account'")
    if fact == "exists":
        _check_principal_ref(fields["exists"], at(path, "exists"), shape, problems)
    if fact == "grant":
        grant = check_fields(fields["grant"], at(path, "grant"), GRANT_FIELDS, ("grantee",), problems)
        if "grantee" in grant:
            _check_principal_ref(grant["grantee"], at(at(path, "grant"), "grantee"), shape, problems)


def _check_operation(entry, path: str, shape: SeatShape, problems: Problems) -> Operation | None:
    from awsapi.dispatch import lookup

    fields = check_fields(entry, path, OPERATION_FIELDS, ("as", "call"), problems)
    if "as" in fields:
        _check_principal_ref(fields["as"], at(path, "as"), shape, problems)
    if "call" not in fields:
        return None
    service, _, name = fields["call"].partition(":")
    if not name or lookup(service, name) is None:
        problems.add(at(path, "call"), f"{fields['call']!r} is not an operation of KMS Console "
                                       "(e.g. kms:PutKeyPolicy, iam:PutRolePolicy)")
        return None
    if "region" in fields and not is_known_region(fields["region"]):
        problems.add(at(path, "region"), f"unknown region {fields['region']!r}")
    if "as" not in fields:
        return None
    return Operation(principal=fields["as"], service=service, name=name, params=fields.get("params", {}),
                     region=fields.get("region", ""), expect_error=fields.get("expect_error", ""))


def check_solution_principals(lab: Lab) -> None:
    """Every principal a solution acts as exists by then: in the template, or created by an earlier operation."""
    problems = Problems(lab.source)
    known = template_principals(lab.scenario, lab.seat, lab.region)
    for step_index, step in enumerate(lab.steps):
        for index, operation in enumerate(step.solution):
            where = at(at(at("steps", step_index), "solution"), index)
            if operation.principal not in known:
                problems.add(at(where, "as"), f"the solution names principal {operation.principal!r}, which the "
                                              "scenario does not create and no earlier operation creates")
            created = _created_principal(operation)
            if created:
                known.add(created)
    problems.raise_if_any()


def _created_principal(operation: Operation) -> str | None:
    account = operation.principal.partition(":")[0]
    if operation.service == "iam" and operation.name == "CreateRole" and "RoleName" in operation.params:
        return f"{account}:role/{operation.params['RoleName']}"
    if operation.service == "iam" and operation.name == "CreateUser" and "UserName" in operation.params:
        return f"{account}:user/{operation.params['UserName']}"
    return None


# ----------------------------------------------------------------------------------------------------------
# The shipped labs
# ----------------------------------------------------------------------------------------------------------


def read_lab(path: str | Path, order: int = 0) -> Lab:
    """A lab file, fully checked (shape, placeholders, scenario, solution principals)."""
    lab = load_lab(path, order)
    try:
        check_solution_principals(lab)
    except ScenarioError as error:
        raise LabError(error.source, error.problems) from None
    return lab


def shipped_lab_paths() -> list[Path]:
    return sorted(LABS_DIR.glob("*.yaml"))


def load_shipped_labs() -> list[Lab]:
    """The labs in labs/*.yaml, in file-name order (files are numbered by difficulty)."""
    labs = [read_lab(path, order) for order, path in enumerate(shipped_lab_paths())]
    seen = {}
    for lab in labs:
        if lab.id in seen:
            raise LabError(lab.source, [("id", f"duplicate lab id {lab.id!r} (already in {seen[lab.id]})")])
        seen[lab.id] = lab.source
    return labs
