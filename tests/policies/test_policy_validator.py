"""validate_policy: every finding at once, with severity, code and JSON path."""

import json

from policies.grammar import parse_policy
from policies.validator import validate_policy

KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def codes(findings):
    return sorted((f.severity, f.code, f.path) for f in findings)


def test_default_key_policy_has_no_findings():
    assert validate_policy(doc(ROOT), "KEY_POLICY", key_account="111122223333") == []


def test_invalid_json_is_one_error():
    findings = validate_policy('{"Version": ', "KEY_POLICY")
    assert [(f.severity, f.code) for f in findings] == [("ERROR", "INVALID_JSON")]


def test_key_policy_statement_without_principal_uses_the_api_message():
    findings = validate_policy(doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}), "KEY_POLICY")
    assert [(f.code, f.path, f.message) for f in findings] == [
        ("MISSING_PRINCIPAL", "Statement[0]", "Policy contains a statement with no principal.")]


def test_identity_policy_must_not_name_a_principal():
    findings = validate_policy(doc(dict(ROOT, Sid="Root")), "IDENTITY_POLICY")
    assert ("ERROR", "PRINCIPAL_NOT_ALLOWED", "Statement[0].Principal") in codes(findings)


def test_all_findings_are_reported_at_once_with_paths():
    policy = doc(
        ROOT,
        {"Sid": "Bad", "Effect": "Permit", "Principal": {"AWS": ["arn:aws:iam::444455556666:user/*", "12345"]},
         "Action": ["kms:Encrpyt", "Decrypt"], "Resource": "not-an-arn"},
        {"Sid": "Star", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEqualz": {"kms:NoSuchKey": "x"}}},
    )
    found = codes(validate_policy(policy, "KEY_POLICY", key_account="111122223333"))
    assert ("ERROR", "INVALID_EFFECT", "Statement[1].Effect") in found
    assert ("ERROR", "INVALID_PRINCIPAL", "Statement[1].Principal.AWS[0]") in found
    assert ("ERROR", "INVALID_PRINCIPAL", "Statement[1].Principal.AWS[1]") in found
    assert ("ERROR", "INVALID_ACTION", "Statement[1].Action[1]") in found
    assert ("ERROR", "INVALID_ARN", "Statement[1].Resource") in found
    assert ("ERROR", "UNKNOWN_CONDITION_OPERATOR", "Statement[2].Condition.StringEqualz") in found
    assert ("WARNING", "UNKNOWN_CONDITION_KEY", "Statement[2].Condition.StringEqualz.kms:NoSuchKey") in found
    # a statement whose only condition is unknown still has a condition, so no star warning
    assert not [f for f in found if f[1] == "PRINCIPAL_STAR_WITHOUT_CONDITION"]


def test_unknown_kms_action_is_an_error_but_other_services_pass():
    findings = validate_policy(doc({"Sid": "A", "Effect": "Allow", "Action": ["kms:Encrpyt", "kms:Encrypt*", "s3:GetObject"],
                                    "Resource": KEY}), "IDENTITY_POLICY")
    assert [(f.code, f.path) for f in findings if f.severity == "ERROR"] == [("UNKNOWN_ACTION", "Statement[0].Action[0]")]


def test_wildcard_that_matches_no_kms_action_is_unknown():
    findings = validate_policy(doc({"Sid": "A", "Effect": "Allow", "Action": "kms:Frobnicate*", "Resource": KEY}),
                               "IDENTITY_POLICY")
    assert [f.code for f in findings] == ["UNKNOWN_ACTION"]


def test_principal_star_without_condition_is_a_security_warning():
    findings = validate_policy(doc(ROOT, {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"},
                                          "Action": "kms:Decrypt", "Resource": "*"}), "KEY_POLICY")
    assert codes(findings) == [("SECURITY_WARNING", "PRINCIPAL_STAR_WITHOUT_CONDITION", "Statement[1].Principal")]


def test_principal_star_with_condition_is_fine():
    findings = validate_policy(doc({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                                    "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}}),
                               "KEY_POLICY")
    assert findings == []


def test_iam_resource_star_on_kms_actions_is_a_security_warning():
    findings = validate_policy(doc({"Sid": "All", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
                               "IDENTITY_POLICY")
    assert codes(findings) == [("SECURITY_WARNING", "IAM_RESOURCE_STAR", "Statement[0].Resource")]


def test_iam_resource_star_for_account_level_actions_is_fine():
    findings = validate_policy(doc({"Sid": "Create", "Effect": "Allow", "Action": ["kms:CreateKey", "kms:ListKeys"],
                                    "Resource": "*"}), "IDENTITY_POLICY")
    assert findings == []


def test_non_cross_account_actions_for_another_account_have_no_effect():
    findings = validate_policy(doc(ROOT, {"Sid": "Ext", "Effect": "Allow", "Principal": {"AWS": "444455556666"},
                                          "Action": ["kms:Encrypt", "kms:ScheduleKeyDeletion"], "Resource": "*"}),
                               "KEY_POLICY", key_account="111122223333")
    assert codes(findings) == [("WARNING", "CROSS_ACCOUNT_NO_EFFECT", "Statement[1].Action")]
    assert "kms:ScheduleKeyDeletion" in findings[0].message and "kms:Encrypt" not in findings[0].message


def test_cross_account_crypto_actions_raise_no_warning():
    findings = validate_policy(doc(ROOT, {"Sid": "Ext", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                                          "Action": ["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"], "Resource": "*"}),
                               "KEY_POLICY", key_account="111122223333")
    assert findings == []


def test_iam_actions_the_key_policy_never_grants_are_not_effective():
    key_policy = parse_policy(doc({"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "444455556666"},
                                   "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}))
    findings = validate_policy(doc({"Sid": "Use", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Sign"], "Resource": KEY}),
                               "IDENTITY_POLICY", key_policy=key_policy)
    assert codes(findings) == [("WARNING", "NOT_EFFECTIVE_IN_KEY_POLICY", "Statement[0].Action")]
    assert "kms:Sign" in findings[0].message


def test_principal_exists_callback_reports_invalid_principals():
    asked = []

    def exists(arn):
        asked.append(arn)
        return arn != "arn:aws:iam::444455556666:role/Gone"

    findings = validate_policy(doc(ROOT, {"Sid": "Roles", "Effect": "Allow",
                                          "Principal": {"AWS": ["arn:aws:iam::444455556666:role/Gone", "444455556666"]},
                                          "Action": "kms:Decrypt", "Resource": "*"}),
                               "KEY_POLICY", principal_exists=exists)
    assert [(f.code, f.path) for f in findings] == [("INVALID_PRINCIPAL", "Statement[1].Principal.AWS[0]")]
    assert findings[0].message.startswith("Policy contains a statement with one or more invalid principals.")
    assert "arn:aws:iam::444455556666:root" in asked


def test_key_policy_over_32_kib_is_an_error():
    big = doc(*[dict(ROOT, Sid=f"S{i:04d}") for i in range(400)])
    text = json.dumps(big)
    assert len(text) > 32768
    assert ("ERROR", "POLICY_TOO_LARGE", "") in codes(validate_policy(text, "KEY_POLICY"))
    assert not [f for f in validate_policy(text, "IDENTITY_POLICY") if f.code == "POLICY_TOO_LARGE"]


def test_characters_outside_latin1_are_an_error():
    text = json.dumps(doc(dict(ROOT, Sid="Schlüssel ✓")), ensure_ascii=False)
    assert ("ERROR", "INVALID_CHARACTER", "") in codes(validate_policy(text, "KEY_POLICY"))


def test_statement_without_action_in_a_key_policy_is_a_warning():
    findings = validate_policy(doc({"Sid": "X", "Effect": "Allow", "Principal": "*", "Resource": "*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "true"}}}), "KEY_POLICY")
    assert codes(findings) == [("WARNING", "STATEMENT_HAS_NO_EFFECT", "Statement[0]")]


def test_trust_policy_forbids_resource_and_requires_principal():
    found = codes(validate_policy(doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}), "TRUST_POLICY"))
    assert ("ERROR", "MISSING_PRINCIPAL", "Statement[0]") in found
    assert ("ERROR", "RESOURCE_NOT_ALLOWED", "Statement[0]") in found


def test_single_statement_object_uses_plain_statement_path():
    findings = validate_policy({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*",
                                                                       "Action": "kms:Nope", "Resource": "*",
                                                                       "Condition": {"Bool": {"aws:SecureTransport": "true"}}}},
                               "KEY_POLICY")
    assert [(f.code, f.path) for f in findings] == [("UNKNOWN_ACTION", "Statement.Action")]


def test_identity_sid_must_be_alphanumeric_and_unique():
    found = codes(validate_policy(doc({"Sid": "Use key", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": KEY},
                                      {"Sid": "A", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": KEY},
                                      {"Sid": "A", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}),
                                  "IDENTITY_POLICY"))
    assert ("ERROR", "INVALID_SID", "Statement[0].Sid") in found
    assert ("ERROR", "DUPLICATE_SID", "Statement[2].Sid") in found


def test_validate_accepts_policy_type_positionally_or_by_keyword():
    assert validate_policy(doc(ROOT), "KEY_POLICY") == validate_policy(doc(ROOT), policy_type="KEY_POLICY") == []


# ---- IAM policy findings that know KMS ----

OTHER_KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_non_cross_account_kms_action_on_another_accounts_key_can_never_work():
    findings = validate_policy(doc({"Sid": "Manage", "Effect": "Allow",
                                    "Action": ["kms:Encrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
                                    "Resource": OTHER_KEY}), "IDENTITY_POLICY", policy_account="444455556666")
    assert codes(findings) == [("WARNING", "KMS_ACTION_NOT_CROSS_ACCOUNT", "Statement[0].Resource")]
    message = findings[0].message
    assert "kms:PutKeyPolicy" in message and "kms:ScheduleKeyDeletion" in message and "kms:Encrypt" not in message
    assert "111122223333" in message


def test_non_cross_account_kms_action_on_the_policys_own_account_key_is_fine():
    own = doc({"Sid": "Manage", "Effect": "Allow", "Action": "kms:PutKeyPolicy", "Resource": OTHER_KEY})
    assert validate_policy(own, "IDENTITY_POLICY", policy_account="111122223333") == []
    # without the policy's account the validator cannot tell, and says nothing
    assert validate_policy(own, "IDENTITY_POLICY") == []


def test_guide_policy_for_another_accounts_key_has_no_cross_account_finding():
    guide = doc({"Sid": "AllowUseOfKeyInAccount111122223333", "Effect": "Allow",
                 "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                 "Resource": OTHER_KEY})
    assert validate_policy(guide, "IDENTITY_POLICY", policy_account="444455556666") == []


def test_kms_star_on_another_accounts_keys_names_each_foreign_resource():
    findings = validate_policy(doc({"Sid": "All", "Effect": "Allow", "Action": "kms:*",
                                    "Resource": [OTHER_KEY, "arn:aws:kms:us-west-2:444455556666:key/*"]}),
                               "IDENTITY_POLICY", policy_account="444455556666")
    assert codes(findings) == [("WARNING", "KMS_ACTION_NOT_CROSS_ACCOUNT", "Statement[0].Resource[0]")]
    assert "more" in findings[0].message  # kms:* covers many own-account operations


def test_deny_of_non_cross_account_action_on_another_accounts_key_is_not_flagged():
    findings = validate_policy(doc({"Sid": "No", "Effect": "Deny", "Action": "kms:PutKeyPolicy",
                                    "Resource": OTHER_KEY}), "IDENTITY_POLICY", policy_account="444455556666")
    assert findings == []


def test_key_named_by_alias_name_or_key_id_says_it_means_the_callers_own_account():
    findings = validate_policy(doc({"Sid": "Use", "Effect": "Allow", "Action": "kms:Encrypt",
                                    "Resource": ["alias/ExampleKey", "1234abcd-12ab-34cd-56ef-1234567890ab", OTHER_KEY]}),
                               "IDENTITY_POLICY")
    found = codes(findings)
    assert ("WARNING", "KMS_KEY_NOT_NAMED_BY_ARN", "Statement[0].Resource[0]") in found
    assert ("WARNING", "KMS_KEY_NOT_NAMED_BY_ARN", "Statement[0].Resource[1]") in found
    assert ("ERROR", "INVALID_ARN", "Statement[0].Resource[0]") in found  # the grammar still refuses it
    assert not [f for f in found if f[2] == "Statement[0].Resource[2]"]
    assert "own account" in findings[-1].message and "key ARN" in findings[-1].message


def test_bare_key_name_in_a_single_statement_object():
    findings = validate_policy({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "kms:Decrypt",
                                                                       "Resource": "alias/ExampleKey"}},
                               "IDENTITY_POLICY")
    assert ("WARNING", "KMS_KEY_NOT_NAMED_BY_ARN", "Statement.Resource") in codes(findings)


def test_bare_key_names_are_only_flagged_for_kms_statements_of_identity_policies():
    s3 = doc({"Sid": "S3", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "alias/ExampleKey"})
    assert "KMS_KEY_NOT_NAMED_BY_ARN" not in [f.code for f in validate_policy(s3, "IDENTITY_POLICY")]
    key_policy = doc(dict(ROOT, Resource="alias/ExampleKey"))
    assert "KMS_KEY_NOT_NAMED_BY_ARN" not in [f.code for f in validate_policy(key_policy, "KEY_POLICY")]


def test_resource_star_on_kms_actions_suggests_key_arns_as_the_guide_does():
    findings = validate_policy(doc({"Sid": "Use", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
                                    "Resource": "*"}), "IDENTITY_POLICY", policy_account="444455556666")
    assert codes(findings) == [("SECURITY_WARNING", "IAM_RESOURCE_STAR", "Statement[0].Resource")]
    assert "key ARNs" in findings[0].message and "any other" in findings[0].message
