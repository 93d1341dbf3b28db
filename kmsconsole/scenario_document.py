"""Reading a scenario file and checking its shape: the parts shared by accounts/scenario.py and keys/scenario.py.

Every problem is reported as `<file>: <entry path>: <problem>`, e.g.
`scenarios/bad.yaml: accounts[1].users[0].access_keys[0].access_key_id: 'AKIA123' is not an access key id ...`.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import yaml

ACCESS_KEY_ID = re.compile(r"AKIA[A-Z0-9]{16}")
IAM_NAME = re.compile(r"[\w+=,.@-]{1,128}")
IAM_PATH = re.compile(r"/(?:[\x21-\x7e]*/)?")


class ScenarioError(Exception):
    """A scenario file that cannot be loaded; `problems` is a list of (entry path, message)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {path}: {message}" if path else f"{source}: {message}"
                                   for path, message in problems))


class Problems:
    """Collects every problem of a file, so that one run reports them all."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[tuple[str, str]] = []
        self._seen: dict[tuple[str, object], str] = {}

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def unique(self, what: str, value, path: str, scope: object = None) -> None:
        """Report `value` when another entry of the same kind (within `scope`) already used it."""
        first = self._seen.setdefault((what, scope, value), path)
        if first != path:
            self.add(path, f"duplicate {what} {value!r} (already at {first})")

    def raise_if_any(self) -> None:
        if self.items:
            raise ScenarioError(self.source, self.items)


def at(path: str, name) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


# ----------------------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------------------


class _ScenarioLoader(yaml.SafeLoader):
    """Safe YAML, minus two traps: an unquoted `Version: 2012-10-17` stays a string (not a date), and a key
    written twice in one mapping is an error instead of the last one silently winning."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_text(text: str, source: str):
    """YAML or JSON, by the file's extension, else by its first character."""
    if source.endswith(".json") or (not source.endswith((".yaml", ".yml")) and text.lstrip().startswith("{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ScenarioError(source, [("", f"line {error.lineno} column {error.colno}: JSON syntax error: {error.msg}")]) from None
    try:
        return yaml.load(text, Loader=_ScenarioLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise ScenarioError(source, [("", f"{where}YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as error:
        raise ScenarioError(source, [("", f"YAML syntax error: {error}")]) from None


def read_file(path: str | Path):
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(source, [("", f"cannot read the file: {error}")]) from None
    return parse_text(text, source)


def dump_yaml(document) -> str:
    # Strings that look like numbers or dates (account ids, "2012-10-17") come out quoted.
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)


# ----------------------------------------------------------------------------------------------------------
# Shape checks
# ----------------------------------------------------------------------------------------------------------

STRING, INTEGER, BOOLEAN, LIST, MAPPING, POLICY = "a string", "a whole number", "true or false", "a list", "a mapping", "a policy"


def describe(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value})"
    return type(value).__name__


def is_kind(value, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == LIST:
        return isinstance(value, list)
    if kind == MAPPING:
        return isinstance(value, dict)
    if kind == POLICY:
        return isinstance(value, (dict, str))
    raise ValueError(kind)


def check_fields(entry, path: str, fields: dict[str, str], required: tuple[str, ...], problems: Problems) -> dict:
    """Check that `entry` is a mapping with only known fields, the required ones, each of the right kind.

    Returns the fields that passed, so that later checks can rely on their kind."""
    if not isinstance(entry, dict):
        problems.add(path, f"expected a mapping, got {describe(entry)}")
        return {}
    for name in entry:
        if name not in fields:
            problems.add(at(path, name), f"unknown field (expected one of: {', '.join(fields)})")
    for name in required:
        if name not in entry:
            problems.add(path, f"missing required field '{name}'")
    good = {}
    for name, kind in fields.items():
        if name not in entry:
            continue
        value = entry[name]
        if is_kind(value, kind):
            good[name] = value
        else:
            hint = " (quote it)" if kind == STRING and isinstance(value, (int, float, bool)) else ""
            problems.add(at(path, name), f"expected {kind}, got {describe(value)}{hint}")
    return good


def check_string_list(values: list, path: str, problems: Problems) -> list[str]:
    good = []
    for index, value in enumerate(values):
        if isinstance(value, str):
            good.append(value)
        else:
            problems.add(at(path, index), f"expected a string, got {describe(value)}")
    return good


def check_tags(tags: dict, path: str, problems: Problems) -> None:
    for name, value in tags.items():
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            problems.add(path, f"tag key {name!r} is not a string of 1 to 128 characters")
        elif not isinstance(value, str) or len(value) > 256:
            problems.add(at(path, name), f"tag value must be a string of at most 256 characters, got {describe(value)}")


def check_name(value: str, path: str, what: str, problems: Problems, max_length: int = 128) -> bool:
    if IAM_NAME.fullmatch(value) and len(value) <= max_length:
        return True
    problems.add(path, f"{value!r} is not a valid {what} (1 to {max_length} letters, digits or +=,.@_-)")
    return False


def check_path(value: str, path: str, problems: Problems) -> None:
    if not (IAM_PATH.fullmatch(value) and len(value) <= 512):
        problems.add(path, f"{value!r} is not an IAM path (starts and ends with '/', e.g. /division/)")


# ----------------------------------------------------------------------------------------------------------
# Policies
# ----------------------------------------------------------------------------------------------------------


def policy_text(value) -> str:
    """The text to store for a policy written in the file: a JSON string as given, a mapping as JSON."""
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def same_policy(stored_text: str, value) -> bool:
    """Whether a stored policy already says what the file says (layout aside), so reloading keeps it."""
    try:
        return json.loads(stored_text) == (json.loads(value) if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return False


def policy_for_export(stored_text: str):
    try:
        return json.loads(stored_text)
    except ValueError:
        return stored_text


def check_policy(value, path: str, policy_type: str, problems: Problems) -> None:
    """Report every grammar ERROR of a policy, each at its place inside the entry. Warnings do not refuse."""
    from policies.validator import validate_policy

    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as error:
            problems.add(path, f"not a JSON policy document: {error.msg} (line {error.lineno} column {error.colno})")
            return
        if not isinstance(parsed, dict):
            problems.add(path, f"a policy document must be a JSON object, got {describe(parsed)}")
            return
    for finding in validate_policy(policy_text(value), policy_type):
        if finding.severity == "ERROR":
            problems.add(at(path, finding.path) if finding.path else path, finding.message)
