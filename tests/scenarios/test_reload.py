"""Loading is idempotent ("create or update what the file declares"), and --replace starts the named accounts over."""

from django.core.management import call_command

from accounts.models import AccessKey, Account, IamUser
from keys.models import Key, KeyMaterial, KeyPolicyVersion
from tests.scenarios.conftest import DEMO, database_picture, load

KEY_WITH_POLICY = """
version: 1
accounts:
  - id: "999988887777"
    keys:
      - id: 0000aaaa-12ab-34cd-56ef-1234567890ab
        region: us-east-1
        policy:
          Version: "2012-10-17"
          Statement: [{Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::999988887777:root"}, Action: "kms:*", Resource: "*"}]
      - region: us-east-1
        description: a key without id or alias
      - region: us-east-1
        aliases: [alias/NoId]
"""


def test_loading_the_demo_twice_changes_nothing_the_second_time(demo, capsys):
    before = database_picture()
    capsys.readouterr()
    call_command("load_scenario", str(DEMO))
    assert "nothing changed" in capsys.readouterr().out
    assert database_picture() == before


def test_reloading_keeps_ids_hashes_and_sealed_secrets(demo):
    users = {u.name: (u.pk, u.unique_id, u.console_password) for u in IamUser.objects.all()}
    sealed = {k.pk: bytes(k.secret_sealed) for k in AccessKey.objects.all()}
    materials = list(KeyMaterial.objects.values_list("material_id", flat=True))
    load(DEMO)
    assert {u.name: (u.pk, u.unique_id, u.console_password) for u in IamUser.objects.all()} == users
    assert {k.pk: bytes(k.secret_sealed) for k in AccessKey.objects.all()} == sealed
    assert list(KeyMaterial.objects.values_list("material_id", flat=True)) == materials


def test_same_key_policy_is_not_a_new_policy_version(db, scenario_file):
    path = scenario_file(KEY_WITH_POLICY)
    load(path)
    load(path)
    key = Key.objects.get(key_id="0000aaaa-12ab-34cd-56ef-1234567890ab")
    assert list(key.policy_versions.values_list("version", flat=True)) == [1]


def test_changed_key_policy_becomes_version_2_recorded_as_the_scenario(db, scenario_file):
    load(scenario_file(KEY_WITH_POLICY))
    changed = scenario_file(KEY_WITH_POLICY.replace("Sid: Root", "Sid: RootAgain"), "changed.yaml")
    load(changed)
    key = Key.objects.get(key_id="0000aaaa-12ab-34cd-56ef-1234567890ab")
    latest = key.policy_versions.get(version=2)
    assert latest.changed_by == f"scenario:{changed}"
    assert "RootAgain" in key.policy and key.policy == latest.document


def test_keys_without_id_are_found_again_on_reload(db, scenario_file):
    path = scenario_file(KEY_WITH_POLICY)
    load(path)
    ids = sorted(Key.objects.values_list("key_id", flat=True))
    load(path)
    assert sorted(Key.objects.values_list("key_id", flat=True)) == ids
    assert len(ids) == 3


def test_reload_updates_what_the_file_declares_and_leaves_the_rest(demo, scenario_file):
    alice = IamUser.objects.get(name="Alice")
    IamUser.objects.create(account_id="444455556666", name="AddedByHand")
    load(scenario_file(DEMO.read_text().replace("description: Example key shared", "description: Renamed key shared")))
    assert Key.objects.get(key_id="1234abcd-12ab-34cd-56ef-1234567890ab").description.startswith("Renamed key")
    assert IamUser.objects.filter(name="AddedByHand").exists()
    assert IamUser.objects.get(name="Alice").pk == alice.pk


def test_disabling_a_key_in_the_file_disables_it(demo, scenario_file):
    load(scenario_file(DEMO.read_text().replace("region: us-west-2", "region: us-west-2\n        enabled: false")))
    assert Key.objects.get(key_id="1234abcd-12ab-34cd-56ef-1234567890ab").state == "Disabled"


def test_replace_starts_the_named_accounts_over_and_leaves_others(demo, scenario_file):
    IamUser.objects.create(account_id="444455556666", name="AddedByHand")
    load(scenario_file('version: 1\naccounts:\n  - id: "123412341234"\n', "other.yaml"))
    old_key_pk = Key.objects.get(key_id="1234abcd-12ab-34cd-56ef-1234567890ab").pk
    load(DEMO, "--replace")
    assert not IamUser.objects.filter(name="AddedByHand").exists()
    assert Account.objects.filter(id="123412341234").exists()
    key = Key.objects.get(key_id="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert key.pk != old_key_pk
    assert KeyPolicyVersion.objects.filter(key=key).count() == 1


def test_enabled_regions_absent_means_the_default_regions(db, scenario_file):
    load(scenario_file('version: 1\naccounts:\n  - id: "123412341234"\n    enabled_regions: [us-east-1, af-south-1]\n'))
    assert Account.objects.get(id="123412341234").enabled_regions == ["us-east-1", "af-south-1"]
    load(scenario_file('version: 1\naccounts:\n  - id: "123412341234"\n', "again.yaml"))
    account = Account.objects.get(id="123412341234")
    assert account.enabled_regions is None
    assert account.region_enabled("us-west-2") and not account.region_enabled("af-south-1")


def test_reload_without_secrets_keeps_existing_secrets(demo, scenario_file):
    exported = scenario_file(_export(), "exported.yaml")
    load(exported)
    assert AccessKey.objects.get(pk="AKIADEMOALICE0000001").secret_access_key == "demo/Alice/secret/not-secret/000000001"


def _export() -> str:
    from kmsconsole.scenario import export_scenario

    return export_scenario()


def test_changed_password_and_secret_in_the_file_are_applied(demo, scenario_file):
    text = DEMO.read_text().replace("demo-Alice-password-not-secret", "demo-Alice-new-password-not-secret")
    text = text.replace("demo/Alice/secret/not-secret/000000001", "demo/Alice/secret/not-secret/000000002")
    load(scenario_file(text))
    alice = IamUser.objects.get(name="Alice")
    assert alice.check_console_password("demo-Alice-new-password-not-secret")
    assert AccessKey.objects.get(pk="AKIADEMOALICE0000001").secret_access_key == "demo/Alice/secret/not-secret/000000002"
