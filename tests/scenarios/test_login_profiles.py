"""Login profiles in scenario files: a console_password creates one (with its creation time), and
password_reset_required is loaded, kept when left out, and exported when true."""

import io

from django.core.management import call_command

from accounts.models import Account, IamUser
from tests.scenarios.conftest import database_picture, load

USERS = """
version: 1
accounts:
  - id: "123412341234"
    users:
      - name: Ann
        console_password: demo-Ann-password-not-secret
        password_reset_required: true
      - name: Ben
        console_password: demo-Ben-password-not-secret
      - name: Cid
"""


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_scenario", *args, stdout=out)
    return out.getvalue()


def user(name: str) -> IamUser:
    return IamUser.objects.get(account_id="123412341234", name=name)


def test_a_console_password_creates_the_login_profile(db, scenario_file):
    load(scenario_file(USERS))
    ann, ben, cid = user("Ann"), user("Ben"), user("Cid")
    assert ann.has_login_profile and ann.login_profile_created_at is not None and ann.password_reset_required
    assert ben.has_login_profile and ben.login_profile_created_at is not None and not ben.password_reset_required
    assert not cid.has_login_profile and cid.login_profile_created_at is None


def test_a_new_password_keeps_the_login_profiles_creation_time(db, scenario_file):
    load(scenario_file(USERS))
    created_at = user("Ben").login_profile_created_at
    load(scenario_file(USERS.replace("demo-Ben-password-not-secret", "demo-Ben-new-password-not-secret"), "new.yaml"))
    ben = user("Ben")
    assert ben.check_console_password("demo-Ben-new-password-not-secret")
    assert ben.login_profile_created_at == created_at


def test_reloading_login_profiles_writes_nothing(db, scenario_file, capsys):
    path = scenario_file(USERS)
    load(path)
    before = database_picture()
    capsys.readouterr()
    load(path)
    assert "nothing changed" in capsys.readouterr().out
    assert database_picture() == before


def test_password_reset_required_left_out_keeps_its_value_and_false_clears_it(db, scenario_file):
    load(scenario_file(USERS))
    load(scenario_file('version: 1\naccounts:\n  - id: "123412341234"\n    users: [{name: Ann}]\n', "left-out.yaml"))
    assert user("Ann").password_reset_required
    load(scenario_file(USERS.replace("password_reset_required: true", "password_reset_required: false"), "false.yaml"))
    assert not user("Ann").password_reset_required


def test_password_reset_required_is_exported_when_true_and_round_trips(db, scenario_file):
    load(scenario_file(USERS))
    first = export()
    assert "  - name: Ann\n    password_reset_required: true\n  - name: Ben\n  - name: Cid\n" in first
    Account.objects.all().delete()
    load(scenario_file(first, "exported.yaml"))
    assert export() == first
