"""parse_policy: AWS's grammar, strictly."""

import json

import pytest

from policies.grammar import PolicyParseError, parse_policy, parse_policy_cached

ROOT = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}


def doc(*statements, **top):
    return {"Version": "2012-10-17", **top, "Statement": list(statements)}


def test_statement_may_be_a_single_object():
    policy = parse_policy({"Version": "2012-10-17", "Statement": ROOT})
    assert len(policy.statements) == 1 and policy.statements[0].label == "Enable IAM User Permissions"


def test_bare_account_id_principal_becomes_the_root_arn():
    policy = parse_policy(doc(dict(ROOT, Principal={"AWS": ["444455556666"]})))
    assert policy.statements[0].principal.aws == ("arn:aws:iam::444455556666:root",)


def test_principal_star_forms_are_wildcards():
    for principal in ("*", {"AWS": "*"}):
        assert parse_policy(doc(dict(ROOT, Principal=principal))).statements[0].principal.wildcard


def test_statement_label_falls_back_to_index():
    policy = parse_policy(doc(ROOT, {k: v for k, v in ROOT.items() if k != "Sid"}))
    assert [s.label for s in policy.statements] == ["Enable IAM User Permissions", "#1"]


def test_size_is_the_utf8_length_of_the_text():
    text = json.dumps(doc(ROOT))
    assert parse_policy(text).size == len(text.encode())


@pytest.mark.parametrize("document, code", [
    ({"Statement": [ROOT], "Extra": 1}, "UNKNOWN_ELEMENT"),
    (doc(dict(ROOT, Effect="allow")), "INVALID_EFFECT"),
    (doc({k: v for k, v in ROOT.items() if k != "Effect"}), "MISSING_EFFECT"),
    ({"Version": "2012-10-18", "Statement": [ROOT]}, "INVALID_VERSION"),
    ({"Version": "2012-10-17"}, "MISSING_STATEMENT"),
    ({"Version": "2012-10-17", "Statement": []}, "MISSING_STATEMENT"),
    (doc(dict(ROOT, NotAction="kms:Decrypt")), "ACTION_AND_NOTACTION"),
    (doc(dict(ROOT, NotPrincipal={"AWS": "*"})), "PRINCIPAL_AND_NOTPRINCIPAL"),
    (doc(dict(ROOT, Principal={"AWS": "arn:aws:iam::111122223333:role/*"})), "INVALID_PRINCIPAL"),
    (doc(dict(ROOT, Principal={"Group": "x"})), "INVALID_PRINCIPAL"),
    (doc(dict(ROOT, Action="Encrypt")), "INVALID_ACTION"),
    (doc(dict(ROOT, Action=[])), "INVALID_TYPE"),
    (doc(dict(ROOT, Resource="arn:aws:kms:us-west-2")), "INVALID_ARN"),
    (doc(dict(ROOT, Condition={"StringEquals": "x"})), "INVALID_CONDITION"),
    (doc(dict(ROOT, Condition={"StringEquals": {"aws:username": {"nested": 1}}})), "INVALID_CONDITION"),
    ('{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": []}', "DUPLICATE_KEY"),
    ("[1, 2]", "INVALID_JSON"),
    ("not json", "INVALID_JSON"),
])
def test_grammar_errors_raise_with_their_code(document, code):
    with pytest.raises(PolicyParseError) as caught:
        parse_policy(document)
    assert code in [f.code for f in caught.value.findings]
    assert str(caught.value)


def test_key_policy_requires_a_principal_and_identity_policy_forbids_one():
    with pytest.raises(PolicyParseError, match="Policy contains a statement with no principal."):
        parse_policy(doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}), "KEY_POLICY")
    with pytest.raises(PolicyParseError):
        parse_policy(doc(ROOT), "IDENTITY_POLICY")


def test_key_policy_size_limit_applies_only_to_key_policies():
    big = json.dumps(doc(*[dict(ROOT, Sid=f"S{i:04d}") for i in range(400)]))
    with pytest.raises(PolicyParseError) as caught:
        parse_policy(big, "KEY_POLICY")
    assert [f.code for f in caught.value.findings] == ["POLICY_TOO_LARGE"]
    assert len(parse_policy(big).statements) == 400


def test_every_error_is_reported_not_just_the_first():
    with pytest.raises(PolicyParseError) as caught:
        parse_policy(doc(dict(ROOT, Effect="Maybe"), dict(ROOT, Action="nope"), dict(ROOT, Resource="x")))
    assert [f.code for f in caught.value.findings] == ["INVALID_EFFECT", "INVALID_ACTION", "INVALID_ARN"]
    assert [f.path for f in caught.value.findings] == ["Statement[0].Effect", "Statement[1].Action", "Statement[2].Resource"]


def test_unknown_condition_operator_parses_but_is_marked_unknown():
    policy = parse_policy(doc(dict(ROOT, Condition={"StringEqualz": {"aws:username": "x"}})))
    assert policy.statements[0].conditions[0].known is False


def test_condition_values_are_read_as_text():
    policy = parse_policy(doc(dict(ROOT, Condition={"Bool": {"kms:GrantIsForAWSResource": True},
                                                   "NumericLessThan": {"kms:RotationPeriodInDays": [90, 180]}})))
    assert [c.values for c in policy.statements[0].conditions] == [("true",), ("90", "180")]


def test_qualifiers_and_if_exists_are_split_from_the_operator():
    policy = parse_policy(doc(dict(ROOT, Condition={"ForAnyValue:StringLikeIfExists": {"kms:EncryptionContextKeys": "a*"}})))
    clause = policy.statements[0].conditions[0]
    assert (clause.base, clause.qualifier, clause.if_exists) == ("StringLike", "ForAnyValue", True)


def test_missing_version_means_2008_and_disables_variables():
    policy = parse_policy({"Statement": [ROOT]})
    assert policy.version == "2008-10-17" and policy.statements[0].variables is False


def test_parse_policy_cached_returns_the_same_object_for_the_same_text():
    text = json.dumps(doc(ROOT))
    assert parse_policy_cached(text) is parse_policy_cached(text)


def test_to_json_round_trips():
    original = doc(ROOT, {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root"]},
                          "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
                          "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}, Id="key-consolepolicy-3")
    policy = parse_policy(original)
    again = parse_policy(policy.to_json())
    assert (again.version, again.id, again.statements) == (policy.version, policy.id, policy.statements)


def test_tab_newline_and_latin1_are_allowed():
    text = json.dumps(doc(dict(ROOT, Sid="Schlüssel")), ensure_ascii=False, indent="\t")
    assert parse_policy(text).statements[0].sid == "Schlüssel"
