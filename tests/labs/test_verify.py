"""`labs verify`: every shipped lab is unsolved at the start of each step and solved by its solution; a lab
that is not says which lab, which step and why, with a failing exit status, and leaves nothing behind."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from labs.models import Classroom
from labs.service import all_labs
from tests.labs.lab_files import changed_lab, readme_example

pytestmark = pytest.mark.django_db


def test_every_shipped_lab_verifies(capsys):
    call_command("labs", "verify")
    out = capsys.readouterr().out
    for lab in all_labs():
        assert f"ok   {lab.id}:" in out
    assert Classroom.objects.count() == 0 and Account.objects.count() == 0


def test_a_solution_that_does_not_solve_its_step_fails_verify(tmp_path, capsys):
    def change(doc):
        doc["steps"][1]["solution"] = doc["steps"][0]["solution"]  # the grants statement is never added

    path = changed_lab(tmp_path, change)
    with pytest.raises(CommandError, match="1 lab\\(s\\) failed: share-key"):
        call_command("labs", "verify", "--file", str(path))
    out = capsys.readouterr().out
    assert f"FAIL share-key ({path})" in out
    assert "step grants-for-services: check policy (The key policy allows account" in out
    assert "fails after the solution: the key policy of key shared does not allow kms:CreateGrant" in out
    assert Classroom.objects.count() == 0 and Account.objects.count() == 0


def test_a_check_that_passes_before_the_trainee_acts_fails_verify(tmp_path, capsys):
    def change(doc):
        doc["steps"][0]["checks"][3]["guard"] = False  # "IamAdmin still cannot Encrypt" holds from the start

    with pytest.raises(CommandError):
        call_command("labs", "verify", "--file", str(changed_lab(tmp_path, change)))
    assert ("step use-statement: check decision (IamAdmin, whose IAM policies do not allow KMS, still cannot "
            "Encrypt) already passes before the trainee acts") in capsys.readouterr().out


def test_a_solution_that_fails_is_reported(tmp_path, capsys):
    def change(doc):
        doc["steps"][0]["solution"][0]["as"] = "user:user/IamAdmin"  # not allowed to change the owner's key

    with pytest.raises(CommandError):
        call_command("labs", "verify", "--file", str(changed_lab(tmp_path, change)))
    out = capsys.readouterr().out
    assert "step use-statement: its solution failed: kms:PutKeyPolicy as user:user/IamAdmin failed:" in out


def test_the_readme_example_lab_verifies(tmp_path, capsys):
    call_command("labs", "verify", "--file", str(readme_example(tmp_path)))
    assert "ok   decrypt-only: 1 step unsolved at the start" in capsys.readouterr().out
