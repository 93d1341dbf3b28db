"""The REST API against the live server, as the demo's principals.

rest(principal) -> a requests.Session that signs every request with SigV4 for service `kmsconsole`
(requests-aws4auth) and prefixes the live server's /api/v1/. console(account, user, password) -> a
requests.Session signed in to the console, sending the CSRF token on unsafe methods, as the console's pages do.
"""

import re

import pytest
import requests
from requests_aws4auth import AWS4Auth

from tests.conftest import OUTSIDER, OWNER, REGION, TRUSTED

KEY_ADMIN = ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001")
ALICE = ("AKIADEMOALICE0000001", "demo/Alice/secret/not-secret/000000001")
IAM_ADMIN = ("AKIADEMOIAMADMIN0001", "demo/IamAdmin/secret/not-secret/0000001")
EVE = ("AKIADEMOOUTSIDER0001", "demo/Eve/secret/not-secret/00000000001")
PASSWORDS = {"KeyAdmin": "demo-KeyAdmin-password-not-secret", "Alice": "demo-Alice-password-not-secret",
             "IamAdmin": "demo-IamAdmin-password-not-secret", "Eve": "demo-Eve-password-not-secret"}
ACCOUNT_OF = {"KeyAdmin": OWNER, "Alice": TRUSTED, "IamAdmin": TRUSTED, "Eve": OUTSIDER}


class Api(requests.Session):
    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        if not url.startswith("http"):
            url = f"{self.base}/api/v1/{url.lstrip('/')}"
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def rest(live_server, demo):
    def client(credentials, region=REGION, session_token=None):
        api = Api(live_server.url)
        api.auth = AWS4Auth(credentials[0], credentials[1], region, "kmsconsole", session_token=session_token)
        return api

    return client


class ConsoleApi(Api):
    """Sends the csrftoken cookie's value as X-CSRFToken on unsafe methods, like the console's htmx does."""

    def request(self, method, url, *args, **kwargs):
        if method.upper() not in ("GET", "HEAD", "OPTIONS") and "csrftoken" in self.cookies:
            kwargs.setdefault("headers", {}).setdefault("X-CSRFToken", self.cookies["csrftoken"])
            kwargs["headers"].setdefault("Referer", self.base + "/")
        return super().request(method, url, *args, **kwargs)


def sign_in(base: str, user: str) -> ConsoleApi:
    api = ConsoleApi(base)
    form = api.get(f"{base}/signin/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = api.post(f"{base}/signin/", data={"account": ACCOUNT_OF[user], "username": user,
                                               "password": PASSWORDS[user], "csrfmiddlewaretoken": token},
                      headers={"Referer": f"{base}/signin/"}, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return api


@pytest.fixture
def console(live_server, demo, fresh_sign_in_counters):
    return lambda user: sign_in(live_server.url, user)


def problem_of(response) -> dict:
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == response.status_code
    return body
