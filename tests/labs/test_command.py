"""The `labs` management command: list, start, check, solve and export a class."""

import pytest
from django.core.management import CommandError, call_command

from labs.models import Classroom

pytestmark = pytest.mark.django_db


def run(capsys, *args) -> str:
    call_command("labs", *args)
    return capsys.readouterr().out


def test_list_shows_the_labs_in_order(capsys):
    lines = run(capsys, "list").splitlines()
    assert lines[0].startswith("share-key ") and len(lines) >= 8


def test_a_class_from_start_to_export(capsys):
    out = run(capsys, "start", "troubleshoot", "--seats", "2")
    classroom = Classroom.objects.get()
    assert out.startswith(f"class {classroom.id}: Troubleshoot a broken cross-account setup, 2 seat(s)")
    prefix = str(classroom.id)[:8]

    out = run(capsys, "check", prefix, "1")
    assert "seat 1 step wrong-key-arn: not yet" in out
    assert "the IAM policies of role ExampleRole do not allow kms:Encrypt, kms:Decrypt" in out
    assert run(capsys, "solve", prefix, "1") == "seat 1 step wrong-key-arn: PASSED\n"
    assert "seat 1 step alias-not-arn: not yet" in run(capsys, "check", prefix)

    rows = run(capsys, "export", str(classroom.id)).splitlines()
    assert rows[0].startswith("class,lab,seat,accounts,step,passed")
    assert len(rows) == 1 + 2 * 4
    assert sum(",yes," in row for row in rows) == 1


@pytest.mark.parametrize("args, message", [
    (("start", "nope"), "no lab 'nope'"),
    (("start", "share-key", "--seats", "201"), "a class has 1 to 200 seats, not 201"),
    (("check", "0000"), "no class '0000'"),
])
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("labs", *args)
    assert not Classroom.objects.exists()
