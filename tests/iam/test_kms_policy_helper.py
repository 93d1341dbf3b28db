"""The create-policy page's KMS key usage helper, on its own: the statements of the AWS guide's step 2, the key
ARNs it refuses and why, and how it adds its statements to what the editor holds."""

import json

import pytest

from iam.kms_policy_helper import (GRANTS_FOR_AWS_RESOURCES, KEY_USE_ACTIONS, EditorTextError, KeyArnError,
                                   add_statements, key_usage_statements, parse_key_arns)

KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
THIRD_ACCOUNT_KEY_ARN = "arn:aws:kms:eu-west-1:777788889999:key/11112222-3333-4444-5555-666677778888"


def test_the_guides_five_actions_on_one_key_give_the_guides_statement():
    statements = key_usage_statements(KEY_USE_ACTIONS, parse_key_arns(KEY_ARN))
    assert statements == [{
        "Sid": "AllowUseOfKeyInAccount111122223333",
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": KEY_ARN,
    }]


def test_actions_keep_the_guides_order_whatever_order_they_were_ticked_in():
    statement, = key_usage_statements(["kms:DescribeKey", "kms:Decrypt"], parse_key_arns(KEY_ARN))
    assert statement["Action"] == ["kms:Decrypt", "kms:DescribeKey"]


def test_grants_for_aws_resources_need_the_grant_is_for_aws_resource_condition():
    use, grants = key_usage_statements(["kms:Decrypt", GRANTS_FOR_AWS_RESOURCES], parse_key_arns(KEY_ARN))
    assert use["Action"] == ["kms:Decrypt"]
    assert grants == {
        "Sid": "AllowGrantsForAWSResourcesInAccount111122223333",
        "Effect": "Allow",
        "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        "Resource": KEY_ARN,
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }


def test_only_grants_gives_only_the_grant_statement():
    statements = key_usage_statements([GRANTS_FOR_AWS_RESOURCES], parse_key_arns(KEY_ARN))
    assert [s["Sid"] for s in statements] == ["AllowGrantsForAWSResourcesInAccount111122223333"]


def test_keys_of_two_accounts_get_one_statement_per_account():
    arns = parse_key_arns("\n".join([KEY_ARN, THIRD_ACCOUNT_KEY_ARN, OTHER_KEY_ARN]))
    first, second = key_usage_statements(["kms:Encrypt"], arns)
    assert first["Sid"] == "AllowUseOfKeyInAccount111122223333"
    assert first["Resource"] == [KEY_ARN, OTHER_KEY_ARN]
    assert second["Sid"] == "AllowUseOfKeyInAccount777788889999"
    assert second["Resource"] == THIRD_ACCOUNT_KEY_ARN


def test_blank_lines_spaces_and_repeats_are_ignored():
    assert parse_key_arns(f"\n  {KEY_ARN}  \n\n{KEY_ARN}\n").arns == (KEY_ARN,)


def test_a_key_arn_with_wildcards_is_accepted():
    assert parse_key_arns("arn:aws:kms:*:111122223333:key/*").arns == ("arn:aws:kms:*:111122223333:key/*",)


@pytest.mark.parametrize("entry, words", [
    ("1234abcd-12ab-34cd-56ef-1234567890ab", "is a bare key ID"),
    ("mrk-1234abcd12ab34cd56ef1234567890ab", "is a bare key ID"),
    ("alias/ExampleKey", "is an alias name"),
    ("arn:aws:kms:us-west-2:111122223333:alias/ExampleKey", "is an alias ARN"),
    ("arn:aws:kms:us-west-2:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab", "is not a key ARN"),
    ("arn:aws:s3:::bucket", "is not a key ARN"),
])
def test_what_is_not_a_key_arn_is_refused_with_the_reason(entry, words):
    with pytest.raises(KeyArnError) as refused:
        parse_key_arns(f"{KEY_ARN}\n{entry}")
    assert words in str(refused.value)
    assert "key ARN" in str(refused.value)


def test_a_bare_key_id_is_explained_as_meaning_the_callers_own_account():
    with pytest.raises(KeyArnError) as refused:
        parse_key_arns("1234abcd-12ab-34cd-56ef-1234567890ab")
    assert "your own account" in str(refused.value)
    assert "Another account's key is named only by its key ARN" in str(refused.value)


def test_no_key_at_all_is_refused():
    with pytest.raises(KeyArnError):
        parse_key_arns(" \n ")


def test_unknown_or_no_choices_are_programming_errors():
    with pytest.raises(ValueError):
        key_usage_statements(["kms:PutKeyPolicy"], parse_key_arns(KEY_ARN))
    with pytest.raises(ValueError):
        key_usage_statements([], parse_key_arns(KEY_ARN))


# ---- writing into the editor ----

STATEMENTS = key_usage_statements(KEY_USE_ACTIONS, parse_key_arns(KEY_ARN))


def test_an_empty_editor_becomes_a_policy_with_the_statements():
    assert json.loads(add_statements("", STATEMENTS)) == {"Version": "2012-10-17", "Statement": STATEMENTS}


def test_the_editors_own_statements_are_kept_and_empty_templates_dropped():
    editor = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Statement1", "Effect": "Allow", "Action": [], "Resource": []},
        {"Sid": "ReadLogs", "Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]})
    document = json.loads(add_statements(editor, STATEMENTS))
    assert [s["Sid"] for s in document["Statement"]] == ["ReadLogs", "AllowUseOfKeyInAccount111122223333"]


def test_running_the_helper_again_replaces_its_statement_instead_of_repeating_it():
    once = add_statements("", STATEMENTS)
    fewer = key_usage_statements(["kms:Decrypt"], parse_key_arns(KEY_ARN))
    document = json.loads(add_statements(once, fewer))
    assert document["Statement"] == fewer


def test_a_single_statement_object_becomes_a_list():
    editor = json.dumps({"Version": "2012-10-17",
                         "Statement": {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}})
    assert len(json.loads(add_statements(editor, STATEMENTS))["Statement"]) == 2


def test_the_result_is_indented_json():
    assert add_statements("", STATEMENTS).startswith('{\n    "Version": "2012-10-17",')


@pytest.mark.parametrize("editor", ['{"Version": "2012-10-17", "Statement": [', "[1, 2]",
                                    '{"Statement": "everything"}'])
def test_text_that_is_no_policy_is_left_for_the_person_to_fix(editor):
    with pytest.raises(EditorTextError):
        add_statements(editor, STATEMENTS)
