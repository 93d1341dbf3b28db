"""Who can use the demo key: the operator's whole truth across accounts, the key owner's account view, and the
page and CSV download, as the owner (KeyAdmin), the trusted account (Alice) and an operator."""

import csv
import io

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keys.models import Key
from keys.who_can_use import ALLOWED, DENIED, KEY_SIDE_ALLOWS, who_can_use
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OUTSIDER, OWNER, TRUSTED

EXAMPLE_ROLE = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"
KEY_ADMIN = f"arn:aws:iam::{OWNER}:user/KeyAdmin"
ALICE = f"arn:aws:iam::{TRUSTED}:user/Alice"
EVE = f"arn:aws:iam::{OUTSIDER}:user/Eve"
PASSWORDS = {"KeyAdmin": "demo-KeyAdmin-password-not-secret", "Alice": "demo-Alice-password-not-secret"}


def cell(grid, principal: str, action: str):
    row = next(r for r in grid.rows if r.principal_arn == principal)
    return next(c for c in row.cells if c.action == action)


def signed_in(account: str, user: str, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post("/signin/", {"account": account, "username": user, "password": PASSWORDS[user]})
    assert response.status_code == 302
    return client


def test_operator_sees_example_role_allowed_by_key_policy_and_its_iam_policy(demo):
    grid = who_can_use(Key.objects.get(arn=DEMO_KEY_ARN), operator=True)
    assert grid.view == "operator"
    encrypt = cell(grid, EXAMPLE_ROLE, "kms:Encrypt")
    assert encrypt.verdict == ALLOWED
    assert "key-policy:Allow use of the key" in encrypt.path
    assert "iam:AllowUseOfKeyInAccount111122223333/AllowUseOfKeyInAccount111122223333" in encrypt.path


def test_operator_sees_alice_and_eve_denied_with_the_missing_piece(demo):
    grid = who_can_use(Key.objects.get(arn=DEMO_KEY_ARN), operator=True)
    alice = cell(grid, ALICE, "kms:Encrypt")
    assert alice.verdict == DENIED and "no IAM policy" in alice.missing
    eve = cell(grid, EVE, "kms:Decrypt")
    assert eve.verdict == DENIED and "no key policy statement" in eve.missing
    # The key administrator is a principal of the key's own account: its IAM policy (kms:*) lets it in.
    assert cell(grid, KEY_ADMIN, "kms:Encrypt").verdict == ALLOWED
    # The trusted account's direct CreateGrant fails the kms:GrantIsForAWSResource condition.
    assert cell(grid, EXAMPLE_ROLE, "kms:CreateGrant").verdict == DENIED


def test_account_view_names_other_accounts_only_by_what_the_key_policy_says(demo):
    grid = who_can_use(Key.objects.get(arn=DEMO_KEY_ARN), operator=False)
    assert grid.view == "account"
    principals = {row.principal_arn for row in grid.rows}
    # No principal of another account by name: only the account the key policy names, its IAM side unknown.
    assert EXAMPLE_ROLE not in principals and ALICE not in principals and EVE not in principals
    trusted = next(r for r in grid.rows if r.principal_arn == f"arn:aws:iam::{TRUSTED}:root")
    assert trusted.iam_known is False
    encrypt = next(c for c in trusted.cells if c.action == "kms:Encrypt")
    assert encrypt.verdict == KEY_SIDE_ALLOWS
    assert encrypt.path == ["key-policy:Allow use of the key"]
    assert "cannot read" in encrypt.missing
    # The owner's own principals are shown fully.
    assert cell(grid, KEY_ADMIN, "kms:Decrypt").verdict == ALLOWED
    assert grid.as_dicts()[0]["cells"][0]["action"] == "kms:Encrypt"


def test_operator_grid_reads_a_fixed_number_of_queries(demo, load_scenario):
    key = Key.objects.get(arn=DEMO_KEY_ARN)
    with CaptureQueriesContext(connection) as small:
        who_can_use(key, operator=True)
    users = [{"name": f"Extra{i}", "inline_policies": {"P": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": DEMO_KEY_ARN}]}}} for i in range(15)]
    load_scenario({"version": 1, "accounts": [{"id": OUTSIDER, "users": users,
                                               "groups": [{"name": "G", "managed_policies": []}]}]})
    key = Key.objects.get(arn=DEMO_KEY_ARN)
    with CaptureQueriesContext(connection) as large:
        grid = who_can_use(key, operator=True)
    assert len(grid.rows) >= 15
    assert len(large.captured_queries) == len(small.captured_queries)
    # Users with equal policies share one evaluation, yet each cell names the user's own policy.
    extra3 = cell(grid, f"arn:aws:iam::{OUTSIDER}:user/Extra3", "kms:Encrypt")
    assert extra3.verdict == DENIED   # the key policy does not name the outsider's account
    extra_decrypt = cell(grid, f"arn:aws:iam::{OUTSIDER}:user/Extra7", "kms:Decrypt")
    assert extra_decrypt.verdict == DENIED


def test_principals_with_equal_policies_keep_their_own_policy_names(demo, load_scenario):
    users = [{"name": f"Twin{i}", "inline_policies": {"UseKey": {"Version": "2012-10-17", "Statement": [
        {"Sid": "UseKey", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": DEMO_KEY_ARN}]}}} for i in range(3)]
    load_scenario({"version": 1, "accounts": [{"id": OWNER, "users": users}]})
    grid = who_can_use(Key.objects.get(arn=DEMO_KEY_ARN), operator=True)
    for i in range(3):
        encrypt = cell(grid, f"arn:aws:iam::{OWNER}:user/Twin{i}", "kms:Encrypt")
        assert encrypt.verdict == ALLOWED
        assert f"iam:user/Twin{i}/inline/UseKey/UseKey" in encrypt.path
        assert cell(grid, f"arn:aws:iam::{OWNER}:user/Twin{i}", "kms:Decrypt").verdict == DENIED


def test_page_as_key_owner_is_the_account_view_and_csv_matches(demo):
    client = signed_in("key-owner", "KeyAdmin")
    page = client.get(f"/keys/{DEMO_KEY_ID}/?tab=who_can_use")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Account view" in text and "Operator view" not in text
    assert "decided by account 444455556666" in text
    assert EXAMPLE_ROLE not in text
    download = client.get(f"/keys/{DEMO_KEY_ID}/who-can-use.csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert {r["view"] for r in rows} == {"account"}
    assert any(r["principal"] == f"arn:aws:iam::{TRUSTED}:root" and r["action"] == "kms:Encrypt"
               and r["verdict"] == KEY_SIDE_ALLOWS for r in rows)


def test_page_as_operator_is_the_operator_view(demo):
    staff = get_user_model().objects.create_user("trainer", password="trainer-password-not-secret", is_staff=True)
    # The console's sign-in starts a new session, so the operator signs in to the admin second.
    client = signed_in("key-owner", "KeyAdmin")
    client.force_login(staff)
    text = client.get(f"/keys/{DEMO_KEY_ID}/tabs/who_can_use/").content.decode()
    assert "Operator view" in text and EXAMPLE_ROLE in text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/keys/{DEMO_KEY_ID}/who-can-use.csv").content.decode())))
    assert any(r["principal"] == EXAMPLE_ROLE and r["action"] == "kms:Encrypt" and r["verdict"] == ALLOWED
               for r in rows)


def test_a_principal_of_another_account_gets_no_grid(demo):
    client = signed_in("key-user", "Alice")
    response = client.get(f"/keys/{DEMO_KEY_ARN}/who-can-use.csv")
    assert response.status_code in (403, 404)
    assert EXAMPLE_ROLE.encode() not in response.content
