"""A class's accounts are created with bulk INSERTs (labs/bulk.py); the scenario loader creates a reset seat's.
Both must give the same accounts, for every shipped lab."""

import pytest
from django.core.management import call_command

from accounts.models import IamUser
from keys.models import Key, KeyMaterial, KeyPolicyVersion
from kmsconsole.scenario import export_document
from labs import bulk, service
from labs.format import read_lab
from tests.labs.lab_files import changed_lab

pytestmark = pytest.mark.django_db


def snapshot(seat) -> tuple:
    ids = sorted(seat.values["accounts"].values())
    keys = Key.objects.filter(account_id__in=ids)
    users = IamUser.objects.filter(account_id__in=ids).order_by("account_id", "name")
    return (export_document(ids, include_secrets=True),
            sorted(keys.values_list("arn", "state", "policy")),
            KeyMaterial.objects.filter(key__in=keys).count(),
            sorted(KeyPolicyVersion.objects.filter(key__in=keys).values_list("key__arn", "version", "document",
                                                                              "changed_by")),
            [(u.name, bool(u.console_password), u.login_profile_created_at is not None) for u in users])


@pytest.mark.parametrize("lab", [lab.id for lab in service.all_labs()])
def test_bulk_creation_gives_the_accounts_the_loader_gives(lab):
    assert bulk.supports(service.get_lab(lab).scenario)
    seat = service.create_class(lab, 1).seats.get()
    created_in_bulk = snapshot(seat)
    service.reset_seat(seat)  # deletes the accounts and loads them again with the scenario loader
    assert snapshot(seat) == created_in_bulk


def test_a_template_bulk_creation_does_not_cover_goes_through_the_loader(tmp_path, capsys):
    def change(doc):
        doc["scenario"]["accounts"][0]["keys"][0]["tags"] = {"Team": "Security"}

    path = changed_lab(tmp_path, change)
    assert not bulk.supports(read_lab(path).scenario)
    call_command("labs", "verify", "--file", str(path))
    assert "ok   share-key" in capsys.readouterr().out
