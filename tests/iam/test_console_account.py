"""The IAM console's account page: the account id and its alias; create, change and delete the alias, each
one IAM operation as the signed-in principal, refused in place without iam permissions."""

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from tests.conftest import TRUSTED
from tests.iam.console_world import console_world, signed_in  # noqa: F401  (fixture)
from tests.iam.test_console_users import SHOTS, alerts, sign_in_as


def alias_of_trusted():
    return Account.objects.get(id=TRUSTED).alias


def test_account_page_shows_the_id_and_alias(console_world):
    html = signed_in("Reader").get("/iam/account/").content.decode()
    assert f'id="account-id">{TRUSTED}<' in html
    assert 'id="account-alias">key-user<' in html
    assert "/signin/?account=key-user" in html


def test_change_the_alias_replaces_it(console_world):
    client = signed_in("IamAdmin")
    response = client.post("/iam/account/alias/", {"account_alias": "key-user-two"})
    assert response.status_code == 302 and response["Location"] == "/iam/account/"
    assert alias_of_trusted() == "key-user-two"
    assert "The account alias is now key-user-two." in client.get("/iam/account/").content.decode()


def test_a_bad_alias_is_refused_by_the_field(console_world):
    response = signed_in("IamAdmin").post("/iam/account/alias/", {"account_alias": "Not_Valid"})
    assert response.status_code == 400
    assert 'id="id_account_alias_error"' in response.content.decode()
    assert alias_of_trusted() == "key-user"


def test_an_alias_refused_without_permission_shows_access_denied(console_world):
    client = signed_in("Reader")
    response = client.post("/iam/account/alias/", {"account_alias": "mine-now"})
    assert response.status_code == 403 and "iam:CreateAccountAlias" in alerts(response)
    response = client.post("/iam/account/alias/delete/", {"account_alias": "key-user"})
    assert response.status_code == 403 and "iam:DeleteAccountAlias" in alerts(response)
    assert alias_of_trusted() == "key-user"


@pytest.mark.browser
def test_browser_delete_create_and_refuse_the_account_alias(console_world, page):
    sign_in_as(page, "IamAdmin")
    page.goto("/iam/account/")
    expect(page.locator("#account-id")).to_have_text(TRUSTED)
    expect(page.locator("#account-alias")).to_have_text("key-user")
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=f"{SHOTS}/account-{width}.png", full_page=True)

    page.get_by_role("button", name="Delete alias").click()
    expect(page.locator("#account-alias")).to_have_text("None")
    assert alias_of_trusted() in ("", None)

    page.get_by_role("textbox", name="Account alias").fill("key-user-renamed")
    page.get_by_role("button", name="Create alias").click()
    expect(page.locator("#account-alias")).to_have_text("key-user-renamed")
    expect(page.get_by_test_id("account")).to_contain_text("key-user-renamed")  # the top bar too
    assert alias_of_trusted() == "key-user-renamed"

    page.get_by_role("textbox", name="Account alias").fill("UPPER")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#id_account_alias_error")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/account-bad-alias-1280.png", full_page=True)
    assert alias_of_trusted() == "key-user-renamed"


@pytest.mark.browser
def test_browser_a_user_without_iam_permissions_is_refused_in_place(console_world, page):
    sign_in_as(page, "Nobody")
    page.goto("/iam/account/")
    expect(page.locator("#account-id")).to_have_text(TRUSTED)
    expect(page.locator("#aliases-problem")).to_contain_text("iam:ListAccountAliases")
    page.get_by_role("textbox", name="Account alias").fill("taken-over")
    page.get_by_role("button", name="Create alias").click()
    expect(page.locator("#alias-problem")).to_contain_text("AccessDenied")
    expect(page.locator("#alias-problem")).to_contain_text(
        f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:CreateAccountAlias")
    assert alias_of_trusted() == "key-user"
