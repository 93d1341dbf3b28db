"""AWS managed policies in scenario files: `managed_policies` names them by ARN (arn:aws:iam::aws:policy/...),
they are attached, never created, and export writes them back as ARNs."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Account, IamGroup, IamPolicy, IamRole, IamUser
from tests.scenarios.conftest import database_picture, load

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
TEST_ONLY_ARN = "arn:aws:iam::aws:policy/scenario-tests/ScenarioTestOnlyManagedPolicy"

ATTACHING = """
version: 1
accounts:
  - id: "123412341234"
    managed_policies:
      - name: ReadKeys
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:DescribeKey", Resource: "*"}]}
    groups:
      - name: Admins
        managed_policies: ["ARN", ReadKeys]
    users:
      - name: Ada
        managed_policies: ["ARN"]
        groups: [Admins]
    roles:
      - name: Ops
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "123412341234"}, Action: "sts:AssumeRole"}]}
        managed_policies: [ReadKeys, "ARN"]
"""


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_scenario", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def test_only_aws_managed_policy(db):
    """An AWS managed row made by the test itself, so that the mechanism is tested whatever the catalogue holds."""
    return IamPolicy.create_with_document(
        account=None, name="ScenarioTestOnlyManagedPolicy", path="/scenario-tests/",
        document='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:List*", "Resource": "*"}]}',
    )


def attached_arns(principal) -> list[str]:
    return sorted(policy.arn for policy in principal.managed_policies.all())


def test_aws_managed_policy_is_attached_by_arn_to_users_groups_and_roles(test_only_aws_managed_policy, scenario_file):
    before = IamPolicy.objects.filter(account__isnull=True).count()
    load(scenario_file(ATTACHING.replace("ARN", TEST_ONLY_ARN)))
    assert attached_arns(IamUser.objects.get(name="Ada")) == [TEST_ONLY_ARN]
    assert attached_arns(IamGroup.objects.get(name="Admins")) == sorted(
        [TEST_ONLY_ARN, "arn:aws:iam::123412341234:policy/ReadKeys"])
    assert TEST_ONLY_ARN in attached_arns(IamRole.objects.get(name="Ops"))
    assert IamPolicy.objects.filter(account__isnull=True).count() == before  # attached, not copied


def test_aws_managed_attachments_round_trip_as_arns(test_only_aws_managed_policy, scenario_file):
    load(scenario_file(ATTACHING.replace("ARN", TEST_ONLY_ARN)))
    first = export("--include-secrets")
    assert f"- {TEST_ONLY_ARN}" in first
    assert "name: ScenarioTestOnlyManagedPolicy" not in first  # never exported as a policy of the account
    Account.objects.all().delete()
    load(scenario_file(first, "exported.yaml"))
    assert export("--include-secrets") == first


def test_reloading_aws_managed_attachments_writes_nothing(test_only_aws_managed_policy, scenario_file, capsys):
    path = scenario_file(ATTACHING.replace("ARN", TEST_ONLY_ARN))
    load(path)
    before = database_picture()
    capsys.readouterr()
    load(path)
    assert "nothing changed" in capsys.readouterr().out
    assert database_picture() == before


def test_catalogue_policy_administrator_access_round_trips(db, scenario_file):
    if not IamPolicy.objects.filter(account__isnull=True, name="AdministratorAccess").exists():
        pytest.skip("the AWS managed catalogue (iam/catalogue.py) has no AdministratorAccess row in this database yet")
    load(scenario_file(ATTACHING.replace("ARN", ADMINISTRATOR_ACCESS)))
    assert attached_arns(IamUser.objects.get(name="Ada")) == [ADMINISTRATOR_ACCESS]
    first = export()
    Account.objects.all().delete()
    load(scenario_file(first, "exported.yaml"))
    assert export() == first
