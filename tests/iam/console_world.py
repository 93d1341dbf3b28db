"""The IAM test world (tests/iam/conftest.py) with console passwords, for the IAM console's page tests.

In 444455556666 (alias key-user): IamAdmin (iam:*), Reader (iam:Get*, iam:List*), Nobody (no policies), Alice
and Creator (may create users and read IAM, nothing else) can all sign in to the console; the root user too,
by email. The account also has the managed policy UseTheKey and the group Developers (UseTheKey attached,
inline policy ReadIam).
"""

import copy

import pytest
from django.test import Client

from tests.conftest import TRUSTED
from tests.iam.conftest import WORLD, allow, document, key_use_policy

ROOT_EMAIL = "root@key-user.example"
ROOT_PASSWORD = "console-root-password-not-secret"


def password_of(user: str) -> str:
    return f"console-{user}-password-not-secret"


def _with_console_passwords(world: dict) -> dict:
    world = copy.deepcopy(world)
    trusted = next(a for a in world["accounts"] if a["id"] == TRUSTED)
    trusted.update(email=ROOT_EMAIL, root_password=ROOT_PASSWORD)
    trusted["users"].append({"name": "Creator", "inline_policies": {"CreateUsers": document(
        allow(["iam:CreateUser", "iam:Get*", "iam:List*"]))}})
    for user in trusted["users"]:
        user["console_password"] = password_of(user["name"])
    trusted["managed_policies"] = [{"name": "UseTheKey", "document": key_use_policy()}]
    trusted["groups"] = [{"name": "Developers", "managed_policies": ["UseTheKey"],
                          "inline_policies": {"ReadIam": document(allow(["iam:Get*", "iam:List*"]))}}]
    return world


CONSOLE_WORLD = _with_console_passwords(WORLD)


@pytest.fixture
def console_world(transactional_db, load_scenario):
    load_scenario(CONSOLE_WORLD)
    return CONSOLE_WORLD


def signed_in(user: str) -> Client:
    """A Django test client signed in to 444455556666 as `user` through the real sign-in form."""
    client = Client()
    response = client.post("/signin/", {"account": "key-user", "username": user, "password": password_of(user)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client
