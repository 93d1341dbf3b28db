"""export_scenario prints the database as a scenario: deterministic, loadable, secrets only when asked for."""

import io

from django.core.management import call_command

from accounts.models import Account
from tests.scenarios.conftest import DEMO, load

RICHER = """
version: 1
accounts:
  - id: "123412341234"
    alias: lab
    email: lab@example.com
    root_access_keys: [{access_key_id: AKIALABROOT000000001, secret_access_key: demo-root-not-secret, status: Inactive}]
    enabled_regions: [us-west-2, af-south-1]
    managed_policies:
      - name: Zeta
        path: /lab/
        description: last by name
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:List*", Resource: "*"}]}
      - name: Alpha
        document: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "kms:Decrypt", Resource: "*"}]}
    users:
      - name: Zed
        path: /lab/
        tags: {team: red}
        managed_policies: [Zeta, Alpha]
      - name: Amy
        access_keys:
          - {access_key_id: AKIALABAMY0000000002, secret_access_key: demo-amy-2-not-secret}
          - {access_key_id: AKIALABAMY0000000001, secret_access_key: demo-amy-1-not-secret}
        inline_policies:
          B: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:Encrypt", Resource: "*"}]}
          A: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:Decrypt", Resource: "*"}]}
    roles:
      - name: Ops
        max_session_duration: 7200
        description: operators
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "123412341234"}, Action: "sts:AssumeRole"}]}
        managed_policies: [Alpha]
    keys:
      - region: af-south-1
        key_spec: RSA_2048
        key_usage: SIGN_VERIFY
        enabled: false
        aliases: [alias/signing, alias/another]
        tags: {b: "2", a: "1"}
      - region: us-west-2
        key_spec: HMAC_256
        key_usage: GENERATE_VERIFY_MAC
        description: mac key
"""


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_scenario", *args, stdout=out)
    return out.getvalue()


def test_export_load_into_empty_database_export_gives_the_same_document(demo, scenario_file):
    load(scenario_file(RICHER, "richer.yaml"))
    first = export("--include-secrets")
    Account.objects.all().delete()
    assert export() == "version: 1\naccounts: []\n"
    load(scenario_file(first, "exported.yaml"))
    assert export("--include-secrets") == first


def test_export_is_deterministic_and_sorted(demo, scenario_file):
    load(scenario_file(RICHER))
    text = export()
    assert text == export()
    assert text.index("name: Alpha") < text.index("name: Zeta")
    assert text.index("name: Amy") < text.index("name: Zed")
    assert text.index("AKIALABAMY0000000001") < text.index("AKIALABAMY0000000002")
    assert text.index("id: '111122223333'") < text.index("id: '123412341234'") < text.index("id: '444455556666'")


def test_export_of_named_accounts_only(demo):
    text = export("444455556666")
    assert "444455556666" in text and "id: '111122223333'" not in text


def test_key_with_the_default_policy_is_exported_without_policy(db, scenario_file):
    load(scenario_file('version: 1\naccounts:\n  - id: "123412341234"\n    keys: [{region: us-east-1, aliases: [alias/plain]}]\n'))
    text = export()
    assert "alias/plain" in text and "policy" not in text


def test_export_without_flag_lists_access_key_ids_but_no_secret(demo):
    text = export()
    assert "AKIADEMOKEYADMIN0001" in text
    assert "secret_access_key" not in text
    assert "not-secret" not in text


def test_export_with_include_secrets_has_the_access_key_secrets(demo):
    text = export("--include-secrets")
    assert "secret_access_key: demo/KeyAdmin/secret/not-secret/0000001" in text


def test_passwords_and_their_hashes_are_never_exported(demo):
    text = export("--include-secrets")
    assert "password" not in text
    for account in Account.objects.all():
        assert account.root_password not in text
    assert "md5$" not in text and "pbkdf2" not in text


def test_passwords_are_stored_hashed(demo):
    owner = Account.objects.get(id="111122223333")
    assert "demo-root-password-not-secret" not in owner.root_password
    assert owner.check_root_password("demo-root-password-not-secret")
    key_admin = owner.users.get(name="KeyAdmin")
    assert "not-secret" not in key_admin.console_password
    assert key_admin.check_console_password("demo-KeyAdmin-password-not-secret")
    assert not key_admin.check_console_password("wrong")


def test_access_key_secrets_are_sealed_not_stored_in_clear(demo):
    key = Account.objects.get(id="444455556666").access_keys.get(user__name="Alice")
    assert b"not-secret" not in bytes(key.secret_sealed)
    assert key.secret_access_key == "demo/Alice/secret/not-secret/000000001"


def test_json_scenario_loads_like_yaml(db, scenario_file):
    load(scenario_file('{"version": 1, "accounts": [{"id": "123412341234", "alias": "from-json"}]}', "s.json"))
    assert Account.objects.get(id="123412341234").alias == "from-json"


def test_export_help_says_passwords_are_not_exported():
    from accounts.management.commands.export_scenario import Command

    assert "passwords are never exported" in Command.help


DEMO_PATH = DEMO
