"""IAM user groups in scenario files: declared with their policies, joined by users' complete `groups` lists,
exported sorted, and reloaded without a single write."""

import io

from django.core.management import call_command

from accounts.models import Account, IamGroup, IamUser
from tests.scenarios.conftest import database_picture, load

WITH_GROUPS = """
version: 1
accounts:
  - id: "123412341234"
    alias: lab
    managed_policies:
      - name: ReadKeys
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:DescribeKey", Resource: "*"}]}
      - name: UseKeys
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*"}]}
    groups:
      - name: Writers
        managed_policies: [UseKeys, ReadKeys]
      - name: Auditors
        path: /audit/
        inline_policies:
          LookupEvents: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "cloudtrail:LookupEvents", Resource: "*"}]}
          ListKeys: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:ListKeys", Resource: "*"}]}
      - name: Empty
    users:
      - name: Zoe
        groups: [Writers, Auditors]
      - name: Adam
        groups: [Auditors]
      - name: Loner
"""


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_scenario", *args, stdout=out)
    return out.getvalue()


def members(group: str) -> list[str]:
    return sorted(IamGroup.objects.get(name=group).members.values_list("name", flat=True))


def test_groups_are_created_with_their_policies_and_members(db, scenario_file):
    load(scenario_file(WITH_GROUPS))
    auditors = IamGroup.objects.get(account_id="123412341234", name="Auditors")
    assert auditors.arn == "arn:aws:iam::123412341234:group/audit/Auditors"
    assert sorted(auditors.inline_policies.values_list("name", flat=True)) == ["ListKeys", "LookupEvents"]
    assert sorted(p.name for p in IamGroup.objects.get(name="Writers").managed_policies.all()) == ["ReadKeys", "UseKeys"]
    assert members("Auditors") == ["Adam", "Zoe"] and members("Writers") == ["Zoe"] and members("Empty") == []


def test_groups_export_load_into_empty_database_export_gives_the_same_document(demo, scenario_file):
    load(scenario_file(WITH_GROUPS))
    first = export("--include-secrets")
    Account.objects.all().delete()
    load(scenario_file(first, "exported.yaml"))
    assert export("--include-secrets") == first


def test_groups_are_exported_sorted_by_name_and_users_groups_sorted(db, scenario_file):
    load(scenario_file(WITH_GROUPS))
    text = export("123412341234")
    groups = text[text.index("\n  groups:\n"):]
    assert groups.index("name: Auditors") < groups.index("name: Empty") < groups.index("name: Writers")
    assert "    groups:\n    - Auditors\n    - Writers\n" in text  # Zoe's, declared as [Writers, Auditors]
    assert "    managed_policies:\n    - ReadKeys\n    - UseKeys\n" in text  # Writers', declared unsorted


def test_reloading_a_file_with_groups_writes_nothing(db, scenario_file, capsys):
    path = scenario_file(WITH_GROUPS)
    load(path)
    before = database_picture()
    capsys.readouterr()
    load(path)
    assert "nothing changed" in capsys.readouterr().out
    assert database_picture() == before


def test_a_users_groups_list_is_complete_and_groups_left_out_stay(db, scenario_file):
    load(scenario_file(WITH_GROUPS))
    load(scenario_file(WITH_GROUPS.replace("groups: [Writers, Auditors]", "groups: [Writers]"), "fewer.yaml"))
    assert members("Auditors") == ["Adam"] and members("Writers") == ["Zoe"]
    load(scenario_file(WITH_GROUPS.replace("groups: [Writers, Auditors]", "groups: []"), "none.yaml"))
    assert members("Writers") == [] and IamGroup.objects.filter(name="Writers").exists()


def test_a_user_without_groups_field_keeps_its_groups(db, scenario_file):
    load(scenario_file(WITH_GROUPS))
    load(scenario_file('version: 1\naccounts:\n  - id: "123412341234"\n    users: [{name: Zoe}]\n', "zoe.yaml"))
    assert sorted(IamUser.objects.get(name="Zoe").groups.values_list("name", flat=True)) == ["Auditors", "Writers"]


def test_a_user_may_join_a_group_the_database_already_has(db, scenario_file):
    load(scenario_file(WITH_GROUPS))
    load(scenario_file('version: 1\naccounts:\n  - id: "123412341234"\n    users: [{name: Loner, groups: [Empty]}]\n', "join.yaml"))
    assert members("Empty") == ["Loner"]


def test_changed_group_policies_and_path_are_applied(db, scenario_file):
    load(scenario_file(WITH_GROUPS))
    changed = WITH_GROUPS.replace("managed_policies: [UseKeys, ReadKeys]", "managed_policies: [ReadKeys]")
    changed = changed.replace("path: /audit/", "path: /audit/team/").replace('"kms:ListKeys"', '"kms:ListAliases"')
    load(scenario_file(changed, "changed.yaml"))
    assert [p.name for p in IamGroup.objects.get(name="Writers").managed_policies.all()] == ["ReadKeys"]
    auditors = IamGroup.objects.get(name="Auditors")
    assert auditors.path == "/audit/team/"
    assert "kms:ListAliases" in auditors.inline_policies.get(name="ListKeys").document
