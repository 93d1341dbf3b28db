"""Secrets stay out of the repository and out of exports; development secrets in var/ are private files."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import AccessKey
from kmsconsole.scenario import export_scenario

REPO = Path(settings.BASE_DIR)
DEMO = "scenarios/demo.yaml"
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
FERNET_KEY = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=")


def tracked_files() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    contents = {}
    for name in filter(None, names):
        path = REPO / name
        if path.is_file():
            contents[name] = path.read_bytes().decode("utf-8", errors="replace")
    return contents


def secrets_in_use() -> list[str]:
    values = [settings.SECRET_KEY, *settings.KMSCONSOLE_MASTER_KEY.split(",")]
    for name in ("django_secret_key", "master_key"):
        path = Path(settings.VAR_DIR) / name
        if path.exists():
            values.append(path.read_text().strip())
    return [value.strip() for value in values if value.strip()]


def test_no_secret_in_use_is_committed():
    in_use = secrets_in_use()
    leaks = [name for name, text in tracked_files().items() for secret in in_use if secret in text]
    assert leaks == []


def test_no_private_key_is_committed():
    assert [name for name, text in tracked_files().items() if PRIVATE_KEY.search(text)] == []


def test_no_master_key_is_committed_outside_the_tests():
    # A test may pin a throwaway key to check the key's shape; it seals nothing (the check above makes sure it
    # is not the key in use). Anywhere else a Fernet-shaped value is a leaked or hard-coded key.
    leaks = [
        name for name, text in tracked_files().items() if not name.startswith("tests/") and FERNET_KEY.search(text)
    ]
    assert leaks == []


def test_the_demo_secrets_are_the_documented_demo_values():
    text = (REPO / DEMO).read_text()
    assert "DEMO DATA ONLY" in text
    secrets = re.findall(r"(?:secret_access_key|password): (\S+)", text)
    assert secrets and all("demo" in value and "not-secret" in value for value in secrets)


def test_var_directory_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", "var/master_key"], cwd=REPO)
    assert result.returncode == 0


def test_var_secret_files_are_readable_by_their_owner_only():
    for name in ("django_secret_key", "master_key"):
        path = Path(settings.VAR_DIR) / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_development_secrets_are_generated_with_mode_0600(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "KMSCONSOLE_MASTER_KEY")}
    environment.update(KMSCONSOLE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="kmsconsole.settings")
    subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=REPO, env=environment, check=True)
    for name in ("django_secret_key", "master_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


@pytest.mark.django_db
def test_export_without_include_secrets_has_no_secret_access_key(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.management import call_command

    call_command("load_scenario", str(REPO / DEMO))
    text = export_scenario()
    secrets = [key.secret_access_key for key in AccessKey.objects.all()]
    assert len(secrets) == 4
    assert not [secret for secret in secrets if secret in text]
    assert "secret_access_key" not in text
