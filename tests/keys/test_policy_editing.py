"""The console's default-view edits of a key policy (kms.md §4.3–§4.4), checked against AWS's own JSON."""

import json
import re
from pathlib import Path

import pytest

from keys import policy_editing as pe
from keys.store import console_key_policy

OWNER, TRUSTED, OUTSIDER = "111122223333", "444455556666", "777788889999"
ADMIN = f"arn:aws:iam::{OWNER}:user/KeyAdmin"
ROLE = f"arn:aws:iam::{OWNER}:role/ExampleRole"
GUIDE = Path("/work/shared/reference/aws-guide-cross-account-kms-key.txt")


def console_policy(admins=(ADMIN,), users=(), accounts=(), spec="SYMMETRIC_DEFAULT", usage="ENCRYPT_DECRYPT",
                   deletion=True) -> dict:
    return json.loads(console_key_policy(OWNER, list(admins), list(users), list(accounts), spec, usage, deletion))


def statement(document, sid):
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


def sids(document):
    return [s.get("Sid") for s in document["Statement"]]


def guide_statement(sid: str) -> dict:
    """A statement exactly as printed in AWS's guide "Allowing users in other accounts to use a KMS key"."""
    for line in GUIDE.read_text().splitlines():
        line = line.strip()
        if line.startswith("{") and f'"Sid": "{sid}"' in line:
            return json.loads(line)
    raise AssertionError(f"{sid} not in the guide")


def test_adding_an_external_account_inserts_both_statements_exactly_as_aws_does():
    document = console_policy()

    result = pe.insert_external_account_statements(document, TRUSTED, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")

    assert sids(result) == ["Enable IAM User Permissions", "Allow access for Key Administrators",
                            "Allow use of the key", "Allow attachment of persistent resources"]
    assert statement(result, "Allow use of the key") == guide_statement("Allow use of the key")
    assert statement(result, "Allow attachment of persistent resources") == guide_statement(
        "Allow attachment of persistent resources")


def test_adding_an_external_account_to_existing_statements_appends_to_the_principal_list():
    document = console_policy(users=[ROLE])

    result = pe.insert_external_account_statements(document, TRUSTED, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")

    for sid in ("Allow use of the key", "Allow attachment of persistent resources"):
        assert statement(result, sid)["Principal"] == {"AWS": [ROLE, f"arn:aws:iam::{TRUSTED}:root"]}
        assert {k: v for k, v in statement(result, sid).items() if k != "Principal"} == {
            k: v for k, v in statement(document, sid).items() if k != "Principal"}


def test_adding_the_same_account_twice_changes_nothing_the_second_time():
    once = pe.insert_external_account_statements(console_policy(), TRUSTED, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    twice = pe.insert_external_account_statements(once, TRUSTED, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert twice == once


def test_adding_does_not_modify_the_document_it_was_given():
    document = console_policy()
    before = json.dumps(document)
    pe.insert_external_account_statements(document, TRUSTED, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert json.dumps(document) == before


def test_removing_an_account_takes_it_out_of_both_statements_and_keeps_the_other_users():
    document = console_policy(users=[ROLE], accounts=[TRUSTED, OUTSIDER])

    result = pe.remove_external_account(document, TRUSTED)

    for sid in ("Allow use of the key", "Allow attachment of persistent resources"):
        assert statement(result, sid)["Principal"] == {"AWS": [ROLE, f"arn:aws:iam::{OUTSIDER}:root"]}


def test_removing_the_only_key_user_drops_both_statements_and_leaves_the_rest_untouched():
    document = console_policy(accounts=[TRUSTED])

    result = pe.remove_external_account(document, TRUSTED)

    assert sids(result) == ["Enable IAM User Permissions", "Allow access for Key Administrators"]
    assert result["Statement"] == document["Statement"][:2]
    assert result["Id"] == document["Id"] and result["Version"] == document["Version"]


def test_add_then_remove_gives_back_the_original_policy():
    document = console_policy()
    added = pe.insert_external_account_statements(document, TRUSTED, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert pe.remove_external_account(added, TRUSTED) == document


def test_statements_the_console_did_not_write_are_left_alone():
    custom = {"Sid": "DenyOutsideBusinessHours", "Effect": "Deny", "Principal": "*", "Action": "kms:*",
              "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    document = console_policy()
    document["Statement"].append(custom)

    result = pe.insert_external_account_statements(document, TRUSTED, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    result = pe.remove_external_account(result, TRUSTED)

    assert custom in result["Statement"]
    assert result == document


@pytest.mark.parametrize("spec, usage, actions", [
    ("HMAC_256", "GENERATE_VERIFY_MAC", ["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"]),
    ("RSA_2048", "ENCRYPT_DECRYPT", ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey",
                                     "kms:GetPublicKey"]),
    ("ECC_NIST_P256", "SIGN_VERIFY", ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"]),
])
def test_hmac_and_asymmetric_keys_get_only_the_use_statement(spec, usage, actions):
    document = console_policy(spec=spec, usage=usage)

    result = pe.insert_external_account_statements(document, TRUSTED, spec, usage)

    assert "Allow attachment of persistent resources" not in sids(result)
    assert statement(result, "Allow use of the key")["Action"] == actions
    assert statement(result, "Allow use of the key")["Principal"] == {"AWS": f"arn:aws:iam::{TRUSTED}:root"}


def test_a_malformed_account_id_is_refused():
    for bad in ("12345", "4444555566667", "44445555666a", "", "arn:aws:iam::444455556666:root"):
        with pytest.raises(ValueError):
            pe.insert_external_account_statements(console_policy(), bad, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")


def test_key_users_and_administrators_come_and_go():
    document = console_policy(admins=[])

    document = pe.add_key_administrator(document, ADMIN)
    assert statement(document, "Allow access for Key Administrators")["Principal"] == {"AWS": ADMIN}
    document = pe.add_key_users(document, [ROLE], "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert document == console_policy(users=[ROLE])

    document = pe.remove_key_user(document, ROLE)
    document = pe.remove_key_administrator(document, ADMIN)
    assert sids(document) == ["Enable IAM User Permissions"]


def test_the_key_deletion_checkbox_adds_and_removes_the_two_deletion_actions():
    document = console_policy()

    without = pe.set_admin_deletion(document, False)
    assert without == console_policy(deletion=False)
    assert pe.set_admin_deletion(without, True) == document
    assert pe.set_admin_deletion(document, True) == document


def test_default_view_reads_the_console_shape():
    document = console_policy(users=[ROLE], accounts=[TRUSTED], deletion=False)

    view = pe.default_view(document)

    assert view.administrators == [ADMIN]
    assert view.users == [ROLE]
    assert view.external_accounts == [TRUSTED]
    assert view.deletion_allowed is False


def test_default_view_of_the_api_default_policy_is_empty():
    view = pe.default_view(console_policy(admins=[]))
    assert view == pe.DefaultView(administrators=[], users=[], external_accounts=[], deletion_allowed=True)


@pytest.mark.parametrize("change", [
    lambda d: d["Statement"].append({"Sid": "Custom", "Effect": "Allow", "Principal": {"AWS": ROLE},
                                     "Action": "kms:Encrypt", "Resource": "*"}),
    lambda d: d["Statement"][2].update({"Condition": {"StringEquals": {"kms:CallerAccount": TRUSTED}}}),
    lambda d: d["Statement"][1].update({"Effect": "Deny"}),
    lambda d: d["Statement"][0].update({"Principal": "*"}),
])
def test_a_hand_edited_policy_has_no_default_view(change):
    document = console_policy(accounts=[TRUSTED])
    change(document)
    assert pe.default_view(document) is None


def test_the_demo_key_policy_has_a_default_view_with_the_trusted_account():
    demo = Path(__file__).resolve().parents[2] / "scenarios" / "demo.yaml"
    import yaml

    policy = yaml.safe_load(demo.read_text())["accounts"][0]["keys"][0]["policy"]
    view = pe.default_view(policy)
    assert view.external_accounts == [TRUSTED]
    assert view.administrators == [ADMIN]
    assert re.match(r"^\d{12}$", view.external_accounts[0])
