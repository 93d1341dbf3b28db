"""Property tests: wildcard matching against a reference, and monotonicity of Deny and Allow."""

import fnmatch
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import AccessRequest, Caller, NamedPolicy, evaluate_key_access
from policies.grammar import parse_policy
from policies.matching import arn_match, glob_match

ALPHABET = "ab:/*?-"
text = st.text(alphabet="ab:/-", max_size=8)
pattern = st.text(alphabet=ALPHABET, max_size=8)


def reference_glob(pat, value):
    # fnmatch would treat [ ] specially; our alphabet has none, so translate() is the reference.
    return re.fullmatch(fnmatch.translate(pat), value, re.DOTALL) is not None


@given(pattern, text)
def test_glob_matches_like_fnmatch(pat, value):
    assert glob_match(pat, value) == reference_glob(pat, value)


@given(pattern, text)
def test_glob_ignore_case_matches_like_fnmatch_on_lowered_text(pat, value):
    assert glob_match(pat, value.upper(), ignore_case=True) == reference_glob(pat.lower(), value.lower())


segment = st.text(alphabet="ab-", max_size=4)
seg_pattern = st.text(alphabet="ab-*?", max_size=4)
resource = st.text(alphabet="ab-/:", max_size=6)
res_pattern = st.text(alphabet="ab-/:*?", max_size=6)


@given(st.lists(seg_pattern, min_size=5, max_size=5), res_pattern, st.lists(segment, min_size=5, max_size=5), resource)
def test_arn_match_is_segment_wise(pat_segments, pat_resource, segments, res):
    pat = ":".join(pat_segments + [pat_resource])
    arn = ":".join(segments + [res])
    expected = all(reference_glob(p, s) for p, s in zip(pat_segments, segments)) and reference_glob(pat_resource, res)
    assert arn_match(pat, arn) == expected


# ---- monotonicity ----
KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CALLERS = [
    Caller("arn:aws:iam::111122223333:user/Alice", "111122223333", "IAMUser", "AIDAALICE", username="Alice"),
    Caller("arn:aws:sts::444455556666:assumed-role/KeyUser/bob", "444455556666", "AssumedRole", "AROAKEYUSER:bob",
           role_arn="arn:aws:iam::444455556666:role/KeyUser"),
    Caller("arn:aws:iam::111122223333:root", "111122223333", "Root", "111122223333"),
]
PRINCIPALS = ["*", "arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root",
              "arn:aws:iam::111122223333:user/Alice", "arn:aws:iam::444455556666:role/KeyUser"]
ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:*", "kms:ReEncrypt*", "kms:ScheduleKeyDeletion", "kms:Describe*"]
REQUEST_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ScheduleKeyDeletion", "kms:DescribeKey"]
CONDITIONS = [None, {"Bool": {"aws:SecureTransport": "true"}}, {"StringEquals": {"kms:CallerAccount": "444455556666"}}]


@st.composite
def key_statement(draw, effect=None):
    statement = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"])),
                 "Principal": {"AWS": draw(st.lists(st.sampled_from(PRINCIPALS), min_size=1, max_size=2))},
                 "Action": draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2)), "Resource": "*"}
    condition = draw(st.sampled_from(CONDITIONS))
    if condition:
        statement["Condition"] = condition
    return statement


@st.composite
def iam_statement(draw, effect=None):
    return {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"])),
            "Action": draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2)),
            "Resource": draw(st.sampled_from(["*", KEY, "arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:*:key/*"]))}


def policy(statements):
    return parse_policy({"Version": "2012-10-17", "Statement": statements})


def decide(caller, action, key_statements, iam_statements):
    identity = [NamedPolicy("p", policy(iam_statements))] if iam_statements else []
    request = AccessRequest(caller, action, KEY, "111122223333", "us-west-2")
    return evaluate_key_access(request, key_policy=policy(key_statements), key_account="111122223333",
                               key_region="us-west-2", identity_policies=identity)


scenario = dict(
    caller=st.sampled_from(CALLERS), action=st.sampled_from(REQUEST_ACTIONS),
    key_statements=st.lists(key_statement(), min_size=1, max_size=4),
    iam_statements=st.lists(iam_statement(), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(**scenario, extra=key_statement(effect="Deny"), into_iam=st.booleans(), extra_iam=iam_statement(effect="Deny"))
def test_adding_a_deny_never_turns_a_deny_into_an_allow(caller, action, key_statements, iam_statements, extra,
                                                        into_iam, extra_iam):
    before = decide(caller, action, key_statements, iam_statements)
    after = (decide(caller, action, key_statements, iam_statements + [extra_iam]) if into_iam
             else decide(caller, action, key_statements + [extra], iam_statements))
    if not before.allowed:
        assert not after.allowed


@settings(max_examples=300, deadline=None)
@given(**scenario, extra=key_statement(effect="Allow"), into_iam=st.booleans(), extra_iam=iam_statement(effect="Allow"))
def test_adding_an_allow_never_turns_an_allow_into_a_deny(caller, action, key_statements, iam_statements, extra,
                                                          into_iam, extra_iam):
    before = decide(caller, action, key_statements, iam_statements)
    after = (decide(caller, action, key_statements, iam_statements + [extra_iam]) if into_iam
             else decide(caller, action, key_statements + [extra], iam_statements))
    if before.allowed:
        assert after.allowed


@settings(max_examples=200, deadline=None)
@given(**scenario)
def test_every_denial_has_a_code_and_message_and_every_allow_has_reasons(caller, action, key_statements, iam_statements):
    decision = decide(caller, action, key_statements, iam_statements)
    if decision.allowed:
        assert decision.reasons and decision.denial is None
    else:
        assert decision.denial and decision.access_denied_message().startswith(f"User: {caller.arn} ")
