"""Lab files are checked on load: every problem named with the file, the entry and what is wrong, and nothing
is created from a file that has one."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from labs.format import LabError, read_lab
from labs.models import Classroom
from labs.service import all_labs, render_markdown
from tests.labs.lab_files import LABS, changed_lab


def problems_of(path) -> str:
    with pytest.raises(LabError) as refused:
        read_lab(path)
    return str(refused.value)


def test_every_shipped_lab_loads_in_order_of_difficulty():
    labs = all_labs()
    assert len(labs) >= 8
    assert [lab.source for lab in labs] == sorted(str(path) for path in LABS.glob("*.yaml"))
    assert labs[0].id == "share-key"


def test_unknown_check_kind_is_refused_with_file_and_entry(tmp_path):
    path = changed_lab(tmp_path, lambda doc: doc["steps"][0]["checks"][1].update(kind="vibes"))
    message = problems_of(path)
    assert f"{path}: steps[0].checks[1].kind: unknown check kind 'vibes'" in message


def test_placeholder_with_no_value_is_refused(tmp_path):
    def change(doc):
        doc["steps"][1]["instructions"] += "\nUse account {{accounts.auditor}}."

    message = problems_of(changed_lab(tmp_path, change))
    assert "steps[1].instructions: placeholder {{accounts.auditor}} has no value" in message


def test_a_secret_is_never_a_placeholder(tmp_path):
    def change(doc):
        doc["steps"][0]["hints"].append("Your password is {{logins.keyadmin.password}}")

    message = problems_of(changed_lab(tmp_path, change))
    assert "steps[0].hints[3]: placeholder {{logins.keyadmin.password}} has no value (secrets are never" in message


def test_solution_naming_a_missing_principal_is_refused(tmp_path):
    def change(doc):
        doc["steps"][0]["solution"][0]["as"] = "owner:user/Mallory"

    message = problems_of(changed_lab(tmp_path, change))
    assert ("steps[0].solution[0].as: the solution names principal 'owner:user/Mallory', which the scenario "
            "does not create") in message


def test_scenario_template_problems_are_reported_inside_the_lab(tmp_path):
    def change(doc):
        doc["scenario"]["accounts"][0]["keys"][0]["region"] = "mars-north-1"

    message = problems_of(changed_lab(tmp_path, change))
    assert "scenario.accounts[0].keys[0].region: unknown region 'mars-north-1'" in message


def test_every_problem_is_reported_at_once(tmp_path):
    def change(doc):
        doc["steps"][0]["checks"][0]["kind"] = "vibes"
        doc["steps"][1]["checks"][1]["principal"] = "nobody:role/X"
        doc["seat"]["logins"]["keyadmin"]["user"] = "NoSuchUser"

    message = problems_of(changed_lab(tmp_path, change))
    assert "unknown check kind 'vibes'" in message
    assert "steps[1].checks[1].principal: no account named 'nobody'" in message
    assert "seat.logins.keyadmin: account owner of the scenario has no user 'NoSuchUser'" in message


@pytest.mark.django_db
def test_validate_command_refuses_a_bad_file_and_creates_nothing(tmp_path):
    path = changed_lab(tmp_path, lambda doc: doc["steps"][0]["checks"][0].update(kind="vibes"))
    accounts, classes = Account.objects.count(), Classroom.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("labs", "validate", str(path))
    assert "unknown check kind 'vibes'" in str(refused.value)
    with pytest.raises(CommandError):
        call_command("labs", "verify", "--file", str(path))
    assert (Account.objects.count(), Classroom.objects.count()) == (accounts, classes)


def test_validate_command_accepts_a_good_file(tmp_path, capsys):
    call_command("labs", "validate", str(LABS / "06-troubleshoot.yaml"))
    assert "lab troubleshoot is valid (4 steps)" in capsys.readouterr().out


def test_instructions_render_markdown_with_seat_values_and_no_raw_html():
    values = {"accounts": {"owner": "123456789012"}}
    html = render_markdown("Account `{{accounts.owner}}` <script>alert(1)</script> **now**", values)
    assert "<code>123456789012</code>" in html and "<strong>now</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
