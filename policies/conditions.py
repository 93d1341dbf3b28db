"""Condition operators (kms.md §4.5): parsing an operator name and testing a clause.

Semantics, as IAM documents them:
- several operators, or several keys under one operator: AND (the caller ANDs clauses);
- several values for one key: OR for positive operators, "matches none" for negated ones;
- absent key: positive operators fail, negated operators hold, `...IfExists` holds,
  `ForAllValues:` holds, `ForAnyValue:` fails; `Null: true` means "absent".
- an operator we do not know makes its clause fail, so an Allow never applies by accident.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable, Mapping

from policies.matching import arn_match, pattern_match, substitute

Lookup = Callable[[str], object] | None


def _string_equals(request: str, policy: str, lookup: Lookup) -> bool:
    if lookup is not None and "${" in policy:
        policy = substitute(policy, lookup)
        if policy is None:
            return False
    return request == policy


def _string_equals_ignore_case(request: str, policy: str, lookup: Lookup) -> bool:
    if lookup is not None and "${" in policy:
        policy = substitute(policy, lookup)
        if policy is None:
            return False
    return request.casefold() == policy.casefold()


def _string_like(request: str, policy: str, lookup: Lookup) -> bool:
    return pattern_match(policy, request, lookup)


def _arn_like(request: str, policy: str, lookup: Lookup) -> bool:
    return arn_match(policy, request, lookup)


@lru_cache(maxsize=2048)
def parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@lru_cache(maxsize=2048)
def parse_date(text: str) -> float | None:
    """Epoch seconds from ISO-8601 or epoch text; None when unreadable."""
    number = parse_number(text)
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _compare(parse, test):
    def compare(request: str, policy: str, lookup: Lookup) -> bool:
        left, right = parse(request), parse(policy)
        return left is not None and right is not None and test(left, right)
    return compare


@lru_cache(maxsize=1024)
def _network(text: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _ip_in(request: str, policy: str, lookup: Lookup) -> bool:
    network = _network(policy)
    try:
        address = ipaddress.ip_address(request.strip())
    except ValueError:
        return False
    return network is not None and address.version == network.version and address in network


def _bool_equals(request: str, policy: str, lookup: Lookup) -> bool:
    return request.lower() == policy.lower()


def _binary_equals(request: str, policy: str, lookup: Lookup) -> bool:
    return request == policy


# base operator -> (positive test, negated?)
OPERATORS: dict[str, tuple[Callable[[str, str, Lookup], bool], bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "NumericEquals": (_compare(parse_number, lambda a, b: a == b), False),
    "NumericNotEquals": (_compare(parse_number, lambda a, b: a == b), True),
    "NumericLessThan": (_compare(parse_number, lambda a, b: a < b), False),
    "NumericLessThanEquals": (_compare(parse_number, lambda a, b: a <= b), False),
    "NumericGreaterThan": (_compare(parse_number, lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_compare(parse_number, lambda a, b: a >= b), False),
    "DateEquals": (_compare(parse_date, lambda a, b: a == b), False),
    "DateNotEquals": (_compare(parse_date, lambda a, b: a == b), True),
    "DateLessThan": (_compare(parse_date, lambda a, b: a < b), False),
    "DateLessThanEquals": (_compare(parse_date, lambda a, b: a <= b), False),
    "DateGreaterThan": (_compare(parse_date, lambda a, b: a > b), False),
    "DateGreaterThanEquals": (_compare(parse_date, lambda a, b: a >= b), False),
    "Bool": (_bool_equals, False),
    "BinaryEquals": (_binary_equals, False),
    "IpAddress": (_ip_in, False),
    "NotIpAddress": (_ip_in, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Null": (_bool_equals, False),  # handled apart; listed so the name is known
}

QUALIFIERS = ("ForAnyValue", "ForAllValues")
STRING_VALUED = frozenset(n for n in OPERATORS if n.startswith(("String", "Arn")))


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One `operator: {key: values}` pair of a Condition block."""

    operator: str                 # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str                      # as written, e.g. "kms:EncryptionContext:Department"
    values: tuple[str, ...]       # policy values as text ("true", "30", ...)
    base: str | None              # "StringLike"; None when the operator is unknown
    qualifier: str | None = None  # "ForAnyValue" | "ForAllValues" | None
    if_exists: bool = False

    @property
    def known(self) -> bool:
        return self.base is not None

    @property
    def key_lower(self) -> str:
        return self.key.lower()


def parse_operator(name: str) -> tuple[str | None, str | None, bool]:
    """Split an operator name into (base, qualifier, if_exists); base None if unknown.

    Operator names are case-sensitive, as in IAM's own grammar.
    """
    qualifier = None
    rest = name
    for q in QUALIFIERS:
        if name.startswith(q + ":"):
            qualifier, rest = q, name[len(q) + 1:]
            break
    if_exists = False
    if rest.endswith("IfExists") and rest != "IfExists":
        if_exists, rest = True, rest[: -len("IfExists")]
    if rest not in OPERATORS:
        return None, qualifier, if_exists
    if rest == "Null" and (if_exists or qualifier):
        return None, qualifier, if_exists
    return rest, qualifier, if_exists


def value_text(value: object) -> str:
    """How IAM reads a JSON scalar: true -> "true", 30 -> "30"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _request_values(raw: object) -> list[str] | None:
    if raw is None:
        return None
    if isinstance(raw, (list, tuple, set, frozenset)):
        return [value_text(v) for v in raw]
    return [value_text(raw)]


def clause_holds(clause: ConditionClause, context: Mapping[str, object], lookup: Lookup) -> bool:
    """Whether one clause is satisfied by the request context (keys lower-cased)."""
    if clause.base is None:
        return False  # fail closed
    raw = context.get(clause.key_lower)
    if clause.base == "Null":
        absent = raw is None or (isinstance(raw, (list, tuple)) and not raw)
        return any((v.lower() == "true") == absent for v in clause.values)
    values = _request_values(raw)
    test, negated = OPERATORS[clause.base]
    if not values:
        if clause.if_exists or clause.qualifier == "ForAllValues":
            return True
        if clause.qualifier == "ForAnyValue":
            return False
        return negated

    def matches_any_policy_value(request_value: str) -> bool:
        return any(test(request_value, policy_value, lookup) for policy_value in clause.values)

    if clause.qualifier == "ForAllValues":
        if negated:
            return all(not matches_any_policy_value(v) for v in values)
        return all(matches_any_policy_value(v) for v in values)
    if clause.qualifier == "ForAnyValue":
        if negated:
            return any(not matches_any_policy_value(v) for v in values)
        return any(matches_any_policy_value(v) for v in values)
    hit = any(matches_any_policy_value(v) for v in values)
    return not hit if negated else hit
