"""Operators (Django staff) signed in to the console as well get the operator view of the access answers, marked
as such; `?view=account` asks for the account's view. A principal alone never gets it."""

import re

from django.contrib.auth.models import User

from tests.conftest import DEMO_KEY_ID, OUTSIDER, TRUSTED
from tests.restapi.conftest import KEY_ADMIN


def _also_sign_in_to_the_admin(api, username: str, password: str):
    form = api.get(f"{api.base}/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = api.post(f"{api.base}/admin/login/", data={"username": username, "password": password,
                                                         "csrfmiddlewaretoken": token, "next": "/admin/"},
                      headers={"Referer": f"{api.base}/admin/login/"}, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]


def test_an_operator_gets_the_operator_view_and_may_ask_for_the_account_view(console, rest):
    User.objects.create_user("trainer", password="trainer-password-not-secret", is_staff=True)
    api = console("KeyAdmin")
    assert api.get(f"keys/{DEMO_KEY_ID}/who-can-use").json()["view"] == "account"
    _also_sign_in_to_the_admin(api, "trainer", "trainer-password-not-secret")

    grid = api.get(f"keys/{DEMO_KEY_ID}/who-can-use").json()
    assert grid["view"] == "operator"
    # The operator sees principals of every account, the trusted account's users included.
    assert f"arn:aws:iam::{TRUSTED}:user/Alice" in [row["principal"] for row in grid["rows"]]
    assert api.get(f"keys/{DEMO_KEY_ID}/who-can-use", params={"view": "account"}).json()["view"] == "account"

    question = {"principal": f"arn:aws:iam::{TRUSTED}:user/Alice", "action": "kms:Decrypt", "resource": DEMO_KEY_ID}
    operator = api.post("access/simulate", json=question).json()
    assert operator["view"] == "operator" and operator["verdict"] in ("allowed", "denied")
    account = rest(KEY_ADMIN).post("access/simulate", json=question).json()
    assert account["view"] == "account" and account["verdict"] == "depends-on-other-account"
    eve = rest(KEY_ADMIN).post("access/simulate", json={**question, "principal": f"arn:aws:iam::{OUTSIDER}:user/Eve"})
    assert eve.json()["view"] == "account"
