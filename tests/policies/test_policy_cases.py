"""Runs every scenario of tests/policies/cases/*.json through the engine.

A case is plain data: who calls, what, which policies and grants exist, and the
decision expected (effect, the sources of its reasons, the denial code and the exact
AccessDeniedException text). Shared callers and policies live in `_fixtures.json`
and are referred to by name.
"""

import json
from pathlib import Path

import pytest

from policies.engine import (AccessRequest, Caller, GrantView, NamedPolicy, can_retire_grant, check_lockout,
                             evaluate_identity_access, evaluate_key_access, evaluate_role_trust)
from policies.grammar import parse_policy

CASES_DIR = Path(__file__).parent / "cases"
FIXTURES = json.loads((CASES_DIR / "_fixtures.json").read_text())
KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def load_cases():
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        if path.name.startswith("_"):
            continue
        for case in json.loads(path.read_text()):
            case["_file"] = path.name
            cases.append(case)
    return cases


CASES = load_cases()


def _caller(spec):
    data = FIXTURES["callers"][spec] if isinstance(spec, str) else spec
    return Caller(**data)


def _policy(spec, policy_type):
    if spec is None:
        return None
    document = FIXTURES["policies"][spec] if isinstance(spec, str) else spec
    return parse_policy(document, policy_type)


def _identity_policies(specs):
    named = []
    for spec in specs or []:
        if isinstance(spec, str):
            named.append(NamedPolicy(spec, _policy(spec, "IDENTITY_POLICY")))
        else:
            named.append(NamedPolicy(spec["name"], _policy(spec["policy"], "IDENTITY_POLICY")))
    return named


def _grants(specs):
    return [GrantView(grant_id=g["grant_id"], grantee_principal=g["grantee_principal"],
                      operations=frozenset(g["operations"]), constraints=g.get("constraints"),
                      retiring_principal=g.get("retiring_principal")) for g in specs or []]


def _request(case, caller):
    spec = case.get("request", {})
    resource = spec.get("resource", KEY_ARN)
    default_account = resource.split(":")[4] if resource.startswith("arn:") else None
    return AccessRequest(caller=caller, action=spec["action"], resource_arn=resource,
                         resource_account=spec.get("resource_account", default_account),
                         region=spec.get("region", "us-west-2"), context=spec.get("context", {}),
                         encryption_context=spec.get("encryption_context"))


def decide(case):
    kind = case.get("kind", "key")
    caller = _caller(case["caller"])
    identity = _identity_policies(case.get("identity_policies"))
    session = _policy(case.get("session_policy"), None)
    if kind == "lockout":
        return check_lockout(_policy(case["key_policy"], "KEY_POLICY"), caller=caller,
                             key_account=case.get("key_account", "111122223333"), key_arn=KEY_ARN,
                             region="us-west-2", identity_policies=identity)
    if kind == "retire":
        (grant,) = _grants([case["grant"]])
        return can_retire_grant(caller, grant, issuing_account=case.get("issuing_account", "111122223333"),
                                identity_policies=identity, key_arn=KEY_ARN, session_policy=session)
    request = _request(case, caller)
    if kind == "identity":
        return evaluate_identity_access(request, identity_policies=identity, session_policy=session)
    if kind == "trust":
        return evaluate_role_trust(request, trust_policy=_policy(case["trust_policy"], "TRUST_POLICY"),
                                   role_account=case.get("role_account", request.resource_account),
                                   identity_policies=identity, session_policy=session)
    return evaluate_key_access(request, key_policy=_policy(case["key_policy"], "KEY_POLICY"),
                               key_account=case.get("key_account", "111122223333"),
                               key_region=case.get("key_region", "us-west-2"), identity_policies=identity,
                               session_policy=session, grants=_grants(case.get("grants")),
                               caller_region_enabled=case.get("caller_region_enabled", True))


def test_corpus_is_large_and_names_are_unique():
    names = [case["name"] for case in CASES]
    assert len(names) >= 150
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case):
    expect = case["expect"]
    result = decide(case)
    if case.get("kind") == "lockout":
        assert result is expect["lockout_allows_put_key_policy"]
        return
    if case.get("kind") == "retire":
        assert result is expect["retire_allowed"]
        return
    assert result.effect.value == expect["effect"], result.explanation
    assert result.allowed == (expect["effect"] == "Allow")
    assert result.explanation
    if "reasons" in expect:
        assert sorted(r.source for r in result.reasons) == sorted(expect["reasons"]), result.explanation
    if expect["effect"] == "Allow":
        assert result.denial is None
        assert result.access_denied_message() == ""
    else:
        assert result.denial == expect["denial"], result.explanation
        if "message" in expect:
            assert result.access_denied_message() == expect["message"]
    if "cross_account" in expect:
        assert result.cross_account is expect["cross_account"]
