"""Helpers for the scenario tests: write a scenario file, load it, and take a picture of the whole database."""

from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from kmsconsole.scenario import export_scenario

DEMO = Path(__file__).resolve().parents[2] / "scenarios" / "demo.yaml"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is not under test here; hashing itself is.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def scenario_file(tmp_path):
    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def demo(db):
    call_command("load_scenario", str(DEMO))
    return DEMO


def load(path, *args) -> None:
    call_command("load_scenario", str(path), *args)


def database_picture() -> dict:
    """Every row of our apps (secrets included, as stored) plus the full export: equal pictures, same database."""
    rows = {}
    for app in ("accounts", "keys", "audit"):
        for model in apps.get_app_config(app).get_models():
            rows[model.__name__] = sorted(repr(tuple(map(_plain, row))) for row in model.objects.values_list())
    return {"rows": rows, "export": export_scenario(include_secrets=True)}


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value
