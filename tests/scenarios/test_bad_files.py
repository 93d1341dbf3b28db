"""Every kind of bad scenario file is refused with the file, the entry and the problem, and changes nothing."""

import pytest
from django.core.management.base import CommandError

from tests.scenarios.conftest import database_picture, load

GOOD_ACCOUNT = """
version: 1
accounts:
  - id: "999988887777"
    alias: trainee
    managed_policies:
      - name: ReadKeys
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:DescribeKey", Resource: "*"}]}
    groups:
      - name: Readers
        path: /trainees/
        inline_policies:
          ListAliases: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:ListAliases", Resource: "*"}]}
        managed_policies:
          - ReadKeys
    users:
      - name: Bob
        console_password: demo-bob-not-secret
        password_reset_required: true
        access_keys: [{access_key_id: AKIATRAINEEBOB000001, secret_access_key: demo-not-secret}]
        managed_policies: [ReadKeys]
        groups: [Readers]
    roles:
      - name: Auditor
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "999988887777"}, Action: "sts:AssumeRole"}]}
    keys:
      - id: 0000aaaa-12ab-34cd-56ef-1234567890ab
        region: eu-west-1
        aliases: [alias/TraineeKey]
"""


def refuse(path, *expected: str) -> str:
    """Load `path`, expecting a refusal whose message names the file and contains every `expected` text."""
    with pytest.raises(CommandError) as refused:
        load(path)
    message = str(refused.value)
    assert str(path) in message
    for text in expected:
        assert text in message
    return message


BAD_FILES = {
    "yaml syntax error": ("version: 1\naccounts: [\n  - id: '999988887777'\n", ["YAML syntax error", "line "]),
    "unknown top-level field": ("version: 1\naccounts: []\nacounts: []\n", ["acounts: unknown field"]),
    "unknown field deep inside": (
        GOOD_ACCOUNT.replace("console_password:", "console_pasword:"),
        ["accounts[0].users[0].console_pasword: unknown field"],
    ),
    "unquoted account id": (
        GOOD_ACCOUNT.replace('"999988887777"', "999988887777", 1),
        ["accounts[0].id: expected a string, got the number 999988887777 (quote it)"],
    ),
    "enabled that is not a boolean": (
        GOOD_ACCOUNT.replace("region: eu-west-1", "region: eu-west-1\n        enabled: sometimes"),
        ["accounts[0].keys[0].enabled: expected true or false"],
    ),
    "users that is not a list": (
        "version: 1\naccounts:\n  - id: '999988887777'\n    users: {name: Bob}\n",
        ["accounts[0].users: expected a list, got a mapping"],
    ),
    "account id of 5 digits": (
        GOOD_ACCOUNT.replace('"999988887777"', '"12345"', 1),
        ["accounts[0].id: '12345' is not an account id"],
    ),
    "bad principal ARN in a trust policy": (
        GOOD_ACCOUNT.replace('Principal: {AWS: "999988887777"}', 'Principal: {AWS: "arn:aws:iam::9999:root"}'),
        ["accounts[0].roles[0].trust_policy.Statement[0].Principal.AWS", "arn:aws:iam::9999:root"],
    ),
    "key policy that is not policy grammar": (
        GOOD_ACCOUNT.replace(
            "aliases: [alias/TraineeKey]",
            'aliases: [alias/TraineeKey]\n        policy: {Version: "2012-10-17", Statement: [{Effect: Permit, '
            'Principal: {AWS: "arn:aws:iam::999988887777:root"}, Action: "kms:*", Resource: "*"}]}',
        ),
        ["accounts[0].keys[0].policy.Statement[0].Effect", "Permit"],
    ),
    "key policy statement without principal": (
        GOOD_ACCOUNT.replace(
            "aliases: [alias/TraineeKey]",
            'aliases: [alias/TraineeKey]\n        policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:*", Resource: "*"}]}',
        ),
        ["accounts[0].keys[0].policy.Statement[0]: Policy contains a statement with no principal."],
    ),
    "policy given as a string that is not JSON": (
        GOOD_ACCOUNT.replace("aliases: [alias/TraineeKey]", "aliases: [alias/TraineeKey]\n        policy: '{not json'"),
        ["accounts[0].keys[0].policy: not a JSON policy document"],
    ),
    "identity policy with a Principal": (
        GOOD_ACCOUNT.replace('{Effect: Allow, Action: "kms:DescribeKey"', '{Effect: Allow, Principal: "*", Action: "kms:DescribeKey"'),
        ["accounts[0].managed_policies[0].document.Statement[0]"],
    ),
    "the same alias twice in the file": (
        GOOD_ACCOUNT + "      - region: eu-west-1\n        aliases: [alias/TraineeKey]\n",
        ["accounts[0].keys[1].aliases[0]: duplicate alias 'alias/TraineeKey' (already at accounts[0].keys[0].aliases[0])"],
    ),
    "alias of the wrong form": (
        GOOD_ACCOUNT.replace("alias/TraineeKey", "TraineeKey"),
        ["accounts[0].keys[0].aliases[0]: 'TraineeKey' is not an alias name"],
    ),
    "access key id too short": (
        GOOD_ACCOUNT.replace("AKIATRAINEEBOB000001", "AKIA123"),
        [
            "accounts[0].users[0].access_keys[0].access_key_id: 'AKIA123' is not an access key id "
            "(AKIA followed by 16 upper-case letters or digits)"
        ],
    ),
    "session (ASIA) access key id for a user": (
        GOOD_ACCOUNT.replace("AKIATRAINEEBOB000001", "ASIATRAINEEBOB000001"),
        ["accounts[0].users[0].access_keys[0].access_key_id: 'ASIATRAINEEBOB000001' is not an access key id"],
    ),
    "the same access key id twice": (
        GOOD_ACCOUNT.replace(
            "    roles:",
            "      - name: Carol\n        access_keys: [{access_key_id: AKIATRAINEEBOB000001, secret_access_key: x}]\n    roles:",
        ),
        ["accounts[0].users[1].access_keys[0].access_key_id: duplicate access key id 'AKIATRAINEEBOB000001'"],
    ),
    "reference to a managed policy that does not exist": (
        GOOD_ACCOUNT.replace("managed_policies: [ReadKeys]", "managed_policies: [ReadKeyz]"),
        ["accounts[0].users[0].managed_policies[0]: no customer managed policy named 'ReadKeyz' in account 999988887777"],
    ),
    "unknown region": (
        GOOD_ACCOUNT.replace("region: eu-west-1", "region: eu-westish-1"),
        ["accounts[0].keys[0].region: unknown region 'eu-westish-1'"],
    ),
    "key in an opt-in region the account has not enabled": (
        GOOD_ACCOUNT.replace("region: eu-west-1", "region: af-south-1"),
        ["accounts[0].keys[0].region: region 'af-south-1' is not enabled in account 999988887777"],
    ),
    "key in a region missing from enabled_regions": (
        GOOD_ACCOUNT.replace("    alias: trainee", "    alias: trainee\n    enabled_regions: [us-east-1]"),
        ["accounts[0].keys[0].region: region 'eu-west-1' is not enabled"],
    ),
    "unknown region in enabled_regions": (
        GOOD_ACCOUNT.replace("    alias: trainee", "    alias: trainee\n    enabled_regions: [eu-west-1, mars-north-1]"),
        ["accounts[0].enabled_regions[1]: unknown region 'mars-north-1'"],
    ),
    "HMAC key spec with an encryption usage": (
        GOOD_ACCOUNT.replace("region: eu-west-1", "region: eu-west-1\n        key_spec: HMAC_256\n        key_usage: ENCRYPT_DECRYPT"),
        ["accounts[0].keys[0].key_usage: KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec HMAC_256"],
    ),
    "asymmetric key without a usage": (
        GOOD_ACCOUNT.replace("region: eu-west-1", "region: eu-west-1\n        key_spec: RSA_2048"),
        ["accounts[0].keys[0].key_usage: You must specify a KeyUsage value"],
    ),
    "unknown key spec": (
        GOOD_ACCOUNT.replace("region: eu-west-1", "region: eu-west-1\n        key_spec: AES_256"),
        ["accounts[0].keys[0].key_spec: unknown key spec 'AES_256'"],
    ),
    "key id that is not a UUID": (
        GOOD_ACCOUNT.replace("0000aaaa-12ab-34cd-56ef-1234567890ab", "my-key"),
        ["accounts[0].keys[0].id: 'my-key' is not a key id"],
    ),
    "two users with the same name": (
        GOOD_ACCOUNT.replace("    roles:", "      - name: bob\n    roles:"),
        ["accounts[0].users[1].name: duplicate user name 'bob' (already at accounts[0].users[0].name)"],
    ),
    "two roles with the same name": (
        GOOD_ACCOUNT.replace(
            "    keys:",
            '      - name: Auditor\n        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, '
            'Principal: {AWS: "999988887777"}, Action: "sts:AssumeRole"}]}\n    keys:',
        ),
        ["accounts[0].roles[1].name: duplicate role name 'auditor'"],
    ),
    "the same account twice": (
        GOOD_ACCOUNT + '  - id: "999988887777"\n',
        ["accounts[1].id: duplicate account id '999988887777'"],
    ),
    "unsupported version": (GOOD_ACCOUNT.replace("version: 1", "version: 2"), ["version: unsupported version 2"]),
    "role without a trust policy": (
        "version: 1\naccounts:\n  - id: '999988887777'\n    roles: [{name: Lonely}]\n",
        ["accounts[0].roles[0]: missing required field 'trust_policy'"],
    ),
    "account alias of the wrong form": (GOOD_ACCOUNT.replace("alias: trainee", "alias: Trainee_Account"), ["accounts[0].alias"]),
    # Groups, group membership and login profiles
    "unknown field in a group": (
        GOOD_ACCOUNT.replace("        path: /trainees/", "        members: [Bob]"),
        ["accounts[0].groups[0].members: unknown field (expected one of: name, path, inline_policies, managed_policies)"],
    ),
    "group without a name": (
        GOOD_ACCOUNT.replace("      - name: Readers\n        path: /trainees/", "      - path: /trainees/"),
        ["accounts[0].groups[0]: missing required field 'name'"],
    ),
    "group name with a space": (
        GOOD_ACCOUNT.replace("- name: Readers", "- name: Key Readers"),
        ["accounts[0].groups[0].name: 'Key Readers' is not a valid group name (1 to 128 letters, digits or +=,.@_-)"],
    ),
    "two groups with the same name regardless of case": (
        GOOD_ACCOUNT.replace("    users:", "      - name: READERS\n    users:"),
        ["accounts[0].groups[1].name: duplicate group name 'readers' (already at accounts[0].groups[0].name)"],
    ),
    "group path without its closing slash": (
        GOOD_ACCOUNT.replace("path: /trainees/", "path: /trainees"),
        ["accounts[0].groups[0].path: '/trainees' is not an IAM path"],
    ),
    "group inline policy that is not policy grammar": (
        GOOD_ACCOUNT.replace('Statement: [{Effect: Allow, Action: "kms:ListAliases"', 'Statement: [{Effect: Permit, Action: "kms:ListAliases"'),
        ["accounts[0].groups[0].inline_policies.ListAliases.Statement[0].Effect", "Permit"],
    ),
    "group attached to a policy that does not exist": (
        GOOD_ACCOUNT.replace("          - ReadKeys", "          - ReadKeyz"),
        ["accounts[0].groups[0].managed_policies[0]: no customer managed policy named 'ReadKeyz' in account 999988887777"],
    ),
    "user in a group that does not exist": (
        GOOD_ACCOUNT.replace("groups: [Readers]", "groups: [Readerz]"),
        ["accounts[0].users[0].groups[0]: no group named 'Readerz' in account 999988887777"],
    ),
    "user's groups that is not a list": (
        GOOD_ACCOUNT.replace("groups: [Readers]", "groups: Readers"),
        ["accounts[0].users[0].groups: expected a list, got the string 'Readers'"],
    ),
    "the same group twice in a user's groups": (
        GOOD_ACCOUNT.replace("groups: [Readers]", "groups: [Readers, Readers]"),
        ["accounts[0].users[0].groups: group 'Readers' is listed more than once"],
    ),
    "a user in more than 10 groups": (
        GOOD_ACCOUNT.replace("groups: [Readers]", "groups: [" + ", ".join(f"G{n}" for n in range(11)) + "]"),
        ["accounts[0].users[0].groups: 11 groups: an IAM user belongs to at most 10"],
    ),
    "password_reset_required that is not true or false": (
        GOOD_ACCOUNT.replace("password_reset_required: true", "password_reset_required: soon"),
        ["accounts[0].users[0].password_reset_required: expected true or false, got the string 'soon'"],
    ),
    # Managed policies named by ARN
    "another account's policy named by ARN": (
        GOOD_ACCOUNT.replace("managed_policies: [ReadKeys]", "managed_policies: ['arn:aws:iam::999988887777:policy/ReadKeys']"),
        [
            "accounts[0].users[0].managed_policies[0]: 'arn:aws:iam::999988887777:policy/ReadKeys' is not an AWS "
            "managed policy ARN (arn:aws:iam::aws:policy/<name>); name a policy of this account by its name"
        ],
    ),
    "AWS managed policy missing from the catalogue": (
        GOOD_ACCOUNT.replace(
            "managed_policies: [ReadKeys]", "managed_policies: [ReadKeys, 'arn:aws:iam::aws:policy/NoSuchPolicyAnywhere']"
        ),
        [
            "accounts[0].users[0].managed_policies[1]: no AWS managed policy arn:aws:iam::aws:policy/NoSuchPolicyAnywhere "
            "in the catalogue of AWS managed policies"
        ],
    ),
    "the same managed policy twice": (
        GOOD_ACCOUNT.replace("managed_policies: [ReadKeys]", "managed_policies: [ReadKeys, ReadKeys]"),
        ["accounts[0].users[0].managed_policies: managed policy 'ReadKeys' is listed more than once"],
    ),
    "more than 10 managed policies on one role": (
        GOOD_ACCOUNT.replace(
            "    keys:", "        managed_policies: [" + ", ".join(f"P{n}" for n in range(11)) + "]\n    keys:"
        ),
        ["accounts[0].roles[0].managed_policies: 11 managed policies: IAM attaches at most 10 to one role"],
    ),
}


@pytest.mark.parametrize("text, expected", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_refused_and_changes_nothing(demo, scenario_file, text, expected):
    before = database_picture()
    refuse(scenario_file(text, "bad.yaml"), *expected)
    assert database_picture() == before


def test_json_syntax_error_is_refused(demo, scenario_file):
    before = database_picture()
    refuse(scenario_file('{"version": 1, "accounts": [}', "bad.json"), "JSON syntax error", "line 1")
    assert database_picture() == before


# Problems that only the database can show: the file is well formed, the combination is not.
CONFLICTS_WITH_DEMO = {
    "alias already naming another key of the account": (
        'version: 1\naccounts:\n  - id: "111122223333"\n    keys:\n'
        "      - {id: 0000bbbb-12ab-34cd-56ef-1234567890ab, region: us-west-2, aliases: [alias/ExampleKey]}\n",
        ["accounts[0].keys[0].aliases[0]: alias alias/ExampleKey already names key 1234abcd-12ab-34cd-56ef-1234567890ab"],
    ),
    "access key id already owned by another principal": (
        GOOD_ACCOUNT.replace("AKIATRAINEEBOB000001", "AKIADEMOALICE0000001"),
        [
            "accounts[0].users[0].access_keys[0].access_key_id: 'AKIADEMOALICE0000001' already belongs to "
            "arn:aws:iam::444455556666:user/Alice"
        ],
    ),
    "new access key without its secret": (
        GOOD_ACCOUNT.replace("AKIATRAINEEBOB000001, secret_access_key: demo-not-secret}", "AKIATRAINEEBOB000001}"),
        ["accounts[0].users[0].access_keys[0].secret_access_key: access key AKIATRAINEEBOB000001 does not exist yet"],
    ),
    "account alias already used by another account": (
        GOOD_ACCOUNT.replace("alias: trainee", "alias: key-owner"),
        ["accounts[0].alias: 'key-owner' is already the alias of account 111122223333"],
    ),
    "changing the spec of an existing key": (
        'version: 1\naccounts:\n  - id: "111122223333"\n    keys:\n'
        "      - {id: 1234abcd-12ab-34cd-56ef-1234567890ab, region: us-west-2, key_spec: HMAC_256, key_usage: GENERATE_VERIFY_MAC}\n",
        ["accounts[0].keys[0].key_spec: key 1234abcd-12ab-34cd-56ef-1234567890ab already exists as SYMMETRIC_DEFAULT"],
    ),
}


@pytest.mark.parametrize("text, expected", CONFLICTS_WITH_DEMO.values(), ids=CONFLICTS_WITH_DEMO.keys())
def test_file_that_conflicts_with_the_database_is_refused_and_changes_nothing(demo, scenario_file, text, expected):
    before = database_picture()
    refuse(scenario_file(text, "conflict.yaml"), *expected)
    assert database_picture() == before


def test_a_refused_file_reports_every_problem_at_once(db, scenario_file):
    text = GOOD_ACCOUNT.replace("AKIATRAINEEBOB000001", "AKIA123").replace("region: eu-west-1", "region: nowhere-1")
    message = refuse(scenario_file(text), "access_key_id: 'AKIA123'", "region: unknown region 'nowhere-1'")
    assert len(message.splitlines()) == 2


def test_missing_file_is_refused_with_its_name(db, tmp_path):
    refuse(tmp_path / "nowhere.yaml", "cannot read the file")


def test_empty_file_is_refused(db, scenario_file):
    refuse(scenario_file(""), "expected a mapping, got nothing (null)")


def test_the_good_account_used_above_does_load(demo, scenario_file):
    load(scenario_file(GOOD_ACCOUNT))
