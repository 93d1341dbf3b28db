"""The console session without a browser: expiry of the sign-in and of a switched role, safe redirects."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.test import Client

from accounts.console_session import ROLE_SESSION, SIGNED_IN_AT
from accounts.models import RoleSession
from tests.conftest import TRUSTED
from kmsconsole import statecache

ALICE = {"account": "key-user", "username": "Alice", "password": "demo-Alice-password-not-secret"}


@pytest.fixture
def alice(demo):
    from django.core.cache import cache

    cache.clear()
    client = Client()
    response = client.post("/signin/", ALICE)
    assert response.status_code == 302
    return client


def test_signed_out_home_goes_to_sign_in(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/?next=")


def test_sign_in_ends_after_the_session_age(alice):
    assert alice.get("/switchrole/").status_code == 200

    session = alice.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.SESSION_COOKIE_AGE - 1
    session.save()

    response = alice.get("/switchrole/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_an_expired_role_session_drops_back_to_the_signed_in_user(alice):
    response = alice.post("/switchrole/", {"account": TRUSTED, "role": "ExampleRole", "display_name": ""})
    assert response.status_code == 302
    assert b"assumed-role/ExampleRole/Alice" in alice.get("/switchrole/").content

    RoleSession.objects.filter(pk=alice.session[ROLE_SESSION]).update(
        expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    statecache.bump()  # QuerySet.update() sends no signal: say the state changed
    page = alice.get("/switchrole/").content.decode()
    assert f"arn:aws:iam::{TRUSTED}:user/Alice" in page
    assert "assumed-role/ExampleRole" not in page


def test_sign_in_does_not_redirect_to_another_site(demo):
    from django.core.cache import cache

    cache.clear()
    response = Client().post("/signin/?next=https://evil.example/", ALICE)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_region_must_be_a_known_region(alice):
    alice.post("/region/", {"region": "mars-north-1", "next": "/switchrole/"})
    assert alice.session.get("console.region") in (None, "us-west-2")
    alice.post("/region/", {"region": "us-east-1", "next": "/switchrole/"})
    assert alice.session["console.region"] == "us-east-1"
