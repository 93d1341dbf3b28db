"""The IAM console's user pages: every action is one IAM operation as the signed-in principal, errors are
shown in place, a refused action changes nothing, and a new secret is shown once and kept nowhere.

Browser tests (Chromium) for what a person sees; Django test Client for the rest."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from accounts.models import AccessKey, IamGroup, IamUser
from audit.models import AuditEvent
from tests.conftest import TRUSTED
from tests.iam.console_world import console_world, password_of, signed_in  # noqa: F401  (fixture)
from tests.browser import sign_in

USE_THE_KEY_ARN = f"arn:aws:iam::{TRUSTED}:policy/UseTheKey"
SHOTS = "/work/notes/shots"
HTMX = {"HTTP_HX_REQUEST": "true"}


def user_row(name):
    return IamUser.objects.filter(account_id=TRUSTED, name=name).first()


def alerts(response) -> str:
    """The text of every role=alert element of a page (errors shown in place)."""
    html = response.content.decode()
    chunks = re.findall(r'role="alert"[^>]*>(.*?)</(?:div|p)>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", chunk) for chunk in chunks)


def iam_state():
    """What the console's changes could touch, to assert that a refused action changed nothing."""
    users = {u.name: (u.path, sorted(u.tags.items()) if u.tags else [], u.has_login_profile,
                      sorted(g.name for g in u.groups.all()), sorted(p.name for p in u.managed_policies.all()),
                      sorted(p.name for p in u.inline_policies.all()))
             for u in IamUser.objects.filter(account_id=TRUSTED).prefetch_related("groups", "managed_policies",
                                                                                   "inline_policies")}
    keys = sorted((k.access_key_id, k.status) for k in AccessKey.objects.filter(user__account_id=TRUSTED))
    groups = sorted(IamGroup.objects.filter(account_id=TRUSTED).values_list("name", flat=True))
    return users, keys, groups


# ----------------------------------------------------------------------------------------------------------
# Users list
# ----------------------------------------------------------------------------------------------------------


def test_user_list_shows_the_accounts_users_and_filters_by_name(console_world):
    client = signed_in("Reader")
    page = client.get("/iam/users/").content.decode()
    for name in ("IamAdmin", "Reader", "Nobody", "Alice", "Creator"):
        assert f'href="/iam/users/{name}/"' in page

    filtered = client.get("/iam/users/?q=ad", **HTMX).content.decode()
    assert 'href="/iam/users/IamAdmin/"' in filtered and 'href="/iam/users/Reader/"' in filtered
    assert 'href="/iam/users/Alice/"' not in filtered
    assert "<html" not in filtered  # the table fragment only


def test_user_list_paginates_with_the_marker(console_world, load_scenario):
    load_scenario({"version": 1, "accounts": [
        {"id": TRUSTED, "users": [{"name": f"bulk-{n:03}"} for n in range(60)]}]})
    client = signed_in("Reader")
    first = client.get("/iam/users/").content.decode()
    assert len(re.findall(r'<td><a href="/iam/users/[^/"]+/"', first)) == 50
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")

    second = client.get(next_url).content.decode()
    names = re.findall(r'<td><a href="/iam/users/([^/"]+)/"', second)
    first_names = re.findall(r'<td><a href="/iam/users/([^/"]+)/"', first)
    assert len(names) == 65 - 50 and not set(names) & set(first_names)
    assert {"Reader", "bulk-000", "bulk-059"} <= set(names + first_names)
    assert 'rel="next"' not in second and "First page" in second


def test_user_list_refused_is_shown_in_place(console_world):
    response = signed_in("Nobody").get("/iam/users/")
    assert response.status_code == 200
    assert "AccessDenied" in alerts(response)
    assert "is not authorized to perform: iam:ListUsers" in alerts(response)


# ----------------------------------------------------------------------------------------------------------
# Create user
# ----------------------------------------------------------------------------------------------------------


def test_create_user_runs_each_choice_as_its_own_operation(console_world):
    client = signed_in("IamAdmin")
    response = client.post("/iam/users/create/", {
        "user_name": "Dave", "path": "/engineering/", "groups": ["Developers"], "policies": [USE_THE_KEY_ARN]})

    assert response.status_code == 302 and response["Location"] == "/iam/users/Dave/"
    dave = user_row("Dave")
    assert dave.path == "/engineering/"
    assert [g.name for g in dave.groups.all()] == ["Developers"]
    assert [p.name for p in dave.managed_policies.all()] == ["UseTheKey"]
    names = list(AuditEvent.objects.filter(recipient_account=TRUSTED, event_name__in=[
        "CreateUser", "AddUserToGroup", "AttachUserPolicy"]).values_list("event_name", flat=True))
    assert sorted(names) == ["AddUserToGroup", "AttachUserPolicy", "CreateUser"]


def test_create_user_with_a_bad_name_shows_iams_message_by_the_field(console_world):
    before = iam_state()
    response = signed_in("IamAdmin").post("/iam/users/create/", {"user_name": "no spaces", "path": "/"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_user_name_error"' in html and "failed to satisfy constraint" in html
    assert iam_state() == before


def test_create_user_with_a_taken_name_says_so_by_the_field(console_world):
    before = iam_state()
    response = signed_in("IamAdmin").post("/iam/users/create/", {"user_name": "alice", "path": "/"})
    assert re.search(r'id="id_user_name_error"[^>]*>User with name alice already exists\.', response.content.decode())
    assert iam_state() == before


def test_create_user_reports_what_was_done_and_what_failed(console_world):
    client = signed_in("Creator")  # may CreateUser, not AddUserToGroup nor AttachUserPolicy
    response = client.post("/iam/users/create/", {
        "user_name": "Erin", "groups": ["Developers"], "policies": [USE_THE_KEY_ARN]})

    assert response.status_code == 200
    html = response.content.decode()
    assert "User Erin created" in html
    steps = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('class="iam-steps"')[1].split("</ul>")[0]))
    assert "Done Create user Erin (CreateUser)" in steps
    assert "Failed Add to group Developers (AddUserToGroup) AccessDenied" in steps
    assert "Failed Attach policy UseTheKey (AttachUserPolicy) AccessDenied" in steps
    assert "iam:AddUserToGroup" in steps
    erin = user_row("Erin")
    assert erin is not None and not erin.groups.exists() and not erin.managed_policies.exists()


def test_create_user_refused_shows_access_denied_with_its_explanation(console_world):
    before = iam_state()
    response = signed_in("Reader").post("/iam/users/create/", {"user_name": "Mallory", "path": "/"})
    text = alerts(response)
    assert "AccessDenied" in text and "iam:CreateUser" in text
    assert iam_state() == before


def test_custom_password_must_be_typed(console_world):
    response = signed_in("IamAdmin").post("/iam/users/create/", {
        "user_name": "Frank", "console_access": "on", "password_kind": "custom", "password": ""})
    assert "Enter a custom password" in response.content.decode()
    assert user_row("Frank") is None


def test_create_user_with_password_and_key_shows_them_once_and_keeps_them_nowhere(console_world):
    client = signed_in("IamAdmin")
    response = client.post("/iam/users/create/", {
        "user_name": "Grace", "console_access": "on", "password_kind": "custom", "password": "Grace-Pw-0001!",
        "password_reset_required": "on", "access_key": "on"}, **HTMX)

    html = response.content.decode()
    key = AccessKey.objects.get(user__name="Grace")
    secret = key.secret_access_key
    assert secret in html and "Grace-Pw-0001!" in html
    assert response["Cache-Control"] == "no-store"
    assert response["HX-Push-Url"] == "/iam/users/Grace/"
    assert 'download="Grace_accessKeys.csv"' in html and 'download="Grace_credentials.csv"' in html
    assert "Access%20key%20ID%2CSecret%20access%20key%0A" in html
    assert 'hx-history="false"' in html
    grace = user_row("Grace")
    assert grace.check_console_password("Grace-Pw-0001!") and grace.password_reset_required

    # Shown once: the user page never shows it again; nothing of it is in a session or a record.
    again = client.get("/iam/users/Grace/?tab=security_credentials").content.decode()
    assert key.access_key_id in again and secret not in again and "Grace-Pw-0001!" not in again
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded()) and "Grace-Pw-0001!" not in str(session.get_decoded())
    for event in AuditEvent.objects.all():
        assert secret not in str(event.record) and "Grace-Pw-0001!" not in str(event.record)


def test_an_autogenerated_password_is_shown_and_works(console_world):
    client = signed_in("IamAdmin")
    html = client.post("/iam/users/create/", {"user_name": "Heidi", "console_access": "on",
                                              "password_kind": "autogenerated"}).content.decode()
    password = re.search(r'<code id="new-password">([^<]+)</code>', html).group(1)
    from html import unescape

    assert user_row("Heidi").check_console_password(unescape(password))


# ----------------------------------------------------------------------------------------------------------
# The user page: permissions
# ----------------------------------------------------------------------------------------------------------


def test_permissions_tab_lists_attached_inline_and_group_policies(console_world):
    client = signed_in("IamAdmin")
    client.post("/iam/users/Alice/groups/", {"change": "add", "group_name": "Developers"})
    html = client.get("/iam/users/Alice/").content.decode()
    assert "AssumeExampleRole" in html  # inline
    group_rows = html.split('id="group-policies"')[1].split("</table>")[0]
    assert "UseTheKey" in group_rows and "ReadIam" in group_rows and "Developers" in group_rows


def test_attach_and_detach_a_managed_policy(console_world):
    client = signed_in("IamAdmin")
    response = client.post("/iam/users/Nobody/permissions/", {"change": "attach", "policy_arn": USE_THE_KEY_ARN},
                           **HTMX)
    assert "Policy attached." in response.content.decode()
    assert [p.name for p in user_row("Nobody").managed_policies.all()] == ["UseTheKey"]

    response = client.post("/iam/users/Nobody/permissions/", {"change": "detach", "policy_arn": USE_THE_KEY_ARN})
    assert response.status_code == 302 and response["Location"] == "/iam/users/Nobody/?tab=permissions"
    assert not user_row("Nobody").managed_policies.exists()


def test_add_and_remove_an_inline_policy(console_world):
    client = signed_in("IamAdmin")
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}'
    client.post("/iam/users/Nobody/permissions/", {"change": "put-inline", "policy_name": "Encrypt",
                                                    "policy_document": document})
    html = client.get("/iam/users/Nobody/").content.decode()
    assert "Encrypt" in html.split('id="inline-policies"')[1].split("</table>")[0]

    client.post("/iam/users/Nobody/permissions/", {"change": "delete-inline", "policy_name": "Encrypt"})
    assert not user_row("Nobody").inline_policies.exists()


def test_a_malformed_inline_policy_is_refused_by_the_field(console_world):
    client = signed_in("IamAdmin")
    before = iam_state()
    not_json = client.post("/iam/users/Nobody/permissions/", {"change": "put-inline", "policy_name": "Bad",
                                                              "policy_document": "{nope"}, **HTMX)
    assert 'id="id_policy_document_error"' in not_json.content.decode()
    bad_effect = '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "kms:*", "Resource": "*"}]}'
    malformed = client.post("/iam/users/Nobody/permissions/", {
        "change": "put-inline", "policy_name": "Bad", "policy_document": bad_effect}, **HTMX)
    html = malformed.content.decode()
    assert malformed.status_code == 200 and 'id="id_policy_document_error"' in html
    assert "Maybe" in html  # the typed document stays in the editor
    assert iam_state() == before


def test_a_refused_change_shows_access_denied_in_place_and_changes_nothing(console_world):
    client = signed_in("Reader")
    before = iam_state()
    response = client.post("/iam/users/Nobody/permissions/", {"change": "attach", "policy_arn": USE_THE_KEY_ARN},
                           **HTMX)
    assert response.status_code == 200
    text = alerts(response)
    assert "AccessDenied" in text and "iam:AttachUserPolicy" in text
    plain = client.post("/iam/users/Nobody/permissions/", {"change": "delete-inline", "policy_name": "x"})
    assert plain.status_code == 400 and "AccessDenied" in alerts(plain)
    assert iam_state() == before


# ----------------------------------------------------------------------------------------------------------
# Groups, tags
# ----------------------------------------------------------------------------------------------------------


def test_add_to_and_remove_from_a_group(console_world):
    client = signed_in("IamAdmin")
    client.post("/iam/users/Nobody/groups/", {"change": "add", "group_name": "Developers"})
    assert [g.name for g in user_row("Nobody").groups.all()] == ["Developers"]
    html = client.get("/iam/users/Nobody/?tab=groups").content.decode()
    assert 'href="/iam/groups/Developers/"' in html.split('id="user-groups"')[1].split("</table>")[0]

    client.post("/iam/users/Nobody/groups/", {"change": "remove", "group_name": "Developers"})
    assert not user_row("Nobody").groups.exists()


def test_add_and_remove_tags(console_world):
    client = signed_in("IamAdmin")
    client.post("/iam/users/Nobody/tags/", {"tag_key": "Team", "tag_value": "payments"})
    assert user_row("Nobody").tags == {"Team": "payments"}
    assert "payments" in client.get("/iam/users/Nobody/?tab=tags").content.decode()

    refused = client.post("/iam/users/Nobody/tags/", {"tag_key": "aws:reserved", "tag_value": "x"}, **HTMX)
    assert 'id="id_tag_key_error"' in refused.content.decode()

    client.post("/iam/users/Nobody/tags/", {"remove": "Team"})
    assert not user_row("Nobody").tags


# ----------------------------------------------------------------------------------------------------------
# Security credentials
# ----------------------------------------------------------------------------------------------------------


def test_create_deactivate_activate_and_delete_an_access_key(console_world):
    client = signed_in("IamAdmin")
    response = client.post("/iam/users/Nobody/access-keys/", **HTMX)
    html = response.content.decode()
    new_key = AccessKey.objects.filter(user__name="Nobody").order_by("-created_at").first()
    assert new_key.secret_access_key in html and response["Cache-Control"] == "no-store"
    assert 'download="Nobody_accessKeys.csv"' in html

    url = f"/iam/users/Nobody/access-keys/{new_key.access_key_id}/"
    client.post(url, {"action": "Inactive"})
    assert AccessKey.objects.get(pk=new_key.pk).status == "Inactive"
    html = client.get("/iam/users/Nobody/?tab=security_credentials").content.decode()
    assert new_key.secret_access_key not in html and "Inactive" in html
    client.post(url, {"action": "Active"})
    assert AccessKey.objects.get(pk=new_key.pk).status == "Active"
    client.post(url, {"action": "delete"})
    assert not AccessKey.objects.filter(pk=new_key.pk).exists()


def test_a_third_access_key_is_refused_with_limit_exceeded(console_world):
    client = signed_in("IamAdmin")
    client.post("/iam/users/Nobody/access-keys/")
    before = iam_state()
    response = client.post("/iam/users/Nobody/access-keys/", **HTMX)
    assert "LimitExceeded" in alerts(response)
    assert iam_state() == before


def test_console_password_create_change_and_remove(console_world):
    client = signed_in("IamAdmin")
    url = "/iam/users/Nobody/console-password/"
    client.post("/iam/users/Nobody/console-password/", {"change": "delete"})
    assert not user_row("Nobody").has_login_profile

    response = client.post(url, {"change": "create", "password_kind": "custom", "password": "Nobody-Pw-1!"}, **HTMX)
    assert "Nobody-Pw-1!" in response.content.decode() and response["Cache-Control"] == "no-store"
    assert user_row("Nobody").check_console_password("Nobody-Pw-1!")

    client.post(url, {"change": "update", "password_kind": "custom", "password": "Nobody-Pw-2!",
                      "password_reset_required": "on"})
    nobody = user_row("Nobody")
    assert nobody.check_console_password("Nobody-Pw-2!") and nobody.password_reset_required
    assert "a new password is required" in client.get(
        "/iam/users/Nobody/?tab=security_credentials").content.decode()

    client.post(url, {"change": "delete"})
    assert not user_row("Nobody").has_login_profile


# ----------------------------------------------------------------------------------------------------------
# Delete user
# ----------------------------------------------------------------------------------------------------------


def test_delete_user_needs_the_name_typed(console_world):
    response = signed_in("IamAdmin").post("/iam/users/Nobody/delete/", {"confirm": "nobody?"}, **HTMX)
    assert "Enter Nobody to confirm." in response.content.decode()
    assert user_row("Nobody") is not None


def test_delete_user_refused_with_delete_conflict_then_done_once_the_user_owns_nothing(console_world):
    client = signed_in("IamAdmin")
    before = iam_state()
    response = client.post("/iam/users/Nobody/delete/", {"confirm": "Nobody"}, **HTMX)
    delete_panel = response.content.decode().split('id="delete-user-form"')[1].split("</form>")[0]
    assert "DeleteConflict" in delete_panel
    assert re.search(r"Cannot delete entity, must (delete access keys|delete login profile) first\.", delete_panel)
    assert iam_state() == before

    for key in AccessKey.objects.filter(user__name="Nobody"):
        client.post(f"/iam/users/Nobody/access-keys/{key.access_key_id}/", {"action": "delete"})
    client.post("/iam/users/Nobody/console-password/", {"change": "delete"})
    response = client.post("/iam/users/Nobody/delete/", {"confirm": "Nobody"})
    assert response.status_code == 302 and response["Location"] == "/iam/users/"
    assert user_row("Nobody") is None
    assert "User Nobody deleted." in client.get("/iam/users/").content.decode()


# ----------------------------------------------------------------------------------------------------------
# In a real browser
# ----------------------------------------------------------------------------------------------------------


def sign_in_as(page, user):
    sign_in(page, "key-user", user, password_of(user))
    page.get_by_test_id("principal-arn").wait_for(state="attached")


@pytest.mark.browser
def test_browser_create_user_with_password_and_access_key_shows_the_secret_once(console_world, page):
    sign_in_as(page, "IamAdmin")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto("/iam/users/")
    page.screenshot(path=f"{SHOTS}/users-list-1280.png", full_page=True)
    page.get_by_role("link", name="Create user").click()
    page.get_by_label("User name").fill("Ivan")
    page.get_by_label("Provide user access to the console").check()
    page.get_by_label("Custom password").check()
    page.get_by_label("Password", exact=True).fill("Ivan-Console-Pw-1!")
    page.get_by_label("Create an access key").check()
    page.get_by_label("Developers").check()
    page.get_by_label("Filter the policies to attach directly").fill("iamread")  # static/iam.js hides what does not match
    expect(page.get_by_label("UseTheKey (Customer managed)")).to_be_hidden()
    expect(page.get_by_label("IAMReadOnlyAccess (AWS managed)")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/users-create-1280.png", full_page=True)
    page.get_by_role("button", name="Create user").click()

    expect(page.get_by_role("heading", name="User Ivan created")).to_be_visible()
    key = AccessKey.objects.get(user__name="Ivan")
    expect(page.locator("#new-access-key-id")).to_have_text(key.access_key_id)
    page.locator("#new-credentials").get_by_text("Show").last.click()
    expect(page.locator("#new-secret-access-key")).to_have_text(key.secret_access_key)
    assert page.url.endswith("/iam/users/Ivan/")
    page.screenshot(path=f"{SHOTS}/users-created-1280.png", full_page=True)

    with page.expect_download() as download_info:
        page.locator("#access-key-csv").click()
    download = download_info.value
    assert download.suggested_filename == "Ivan_accessKeys.csv"
    with open(download.path()) as csv_file:
        assert csv_file.read() == f"Access key ID,Secret access key\n{key.access_key_id},{key.secret_access_key}\n"

    page.reload()
    expect(page.get_by_role("heading", name="Ivan", exact=True)).to_be_visible()
    assert key.secret_access_key not in page.content()
    assert "Ivan-Console-Pw-1!" not in page.content()
    assert page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)").find(
        key.secret_access_key) == -1
    assert [g.name for g in user_row("Ivan").groups.all()] == ["Developers"]


@pytest.mark.browser
def test_browser_add_user_to_group_from_the_user_page(console_world, page):
    sign_in_as(page, "IamAdmin")
    page.goto("/iam/users/Nobody/")
    page.get_by_role("link", name="Groups", exact=True).click()
    page.get_by_label("User group").select_option("Developers")
    page.get_by_role("button", name="Add user to group").click()

    expect(page.locator("#user-groups")).to_contain_text("Developers")
    expect(page.get_by_role("status")).to_contain_text("User added to group Developers.")
    assert [g.name for g in user_row("Nobody").groups.all()] == ["Developers"]
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/users-groups-tab-{width}.png", full_page=True)


@pytest.mark.browser
def test_browser_delete_refused_with_delete_conflict_in_place(console_world, page):
    sign_in_as(page, "IamAdmin")
    page.goto("/iam/users/Alice/?tab=security_credentials")
    before = iam_state()
    page.locator(".iam-header summary", has_text="Delete").click()
    page.get_by_label("To confirm deletion, enter the name").fill("Alice")
    page.get_by_role("button", name="Delete user").click()

    expect(page.locator("#delete-problem")).to_contain_text("DeleteConflict")
    expect(page.locator("#delete-problem")).to_contain_text(re.compile(r"Cannot delete entity, must \w[\w ]+ first\."))
    expect(page.get_by_role("heading", name="Alice", exact=True)).to_be_visible()
    assert iam_state() == before
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/users-delete-conflict-{width}.png", full_page=True)


@pytest.mark.browser
def test_browser_access_denied_in_place_for_a_user_without_iam_policies(console_world, page):
    sign_in_as(page, "Nobody")
    page.goto("/iam/users/")
    expect(page.locator("#list-problem")).to_contain_text("AccessDenied")
    expect(page.locator("#list-problem")).to_contain_text(
        f"User: arn:aws:iam::{TRUSTED}:user/Nobody is not authorized to perform: iam:ListUsers")
    expect(page.locator("nav.sidenav")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/users-access-denied-1280.png", full_page=True)

    page.goto("/iam/users/Nobody/")
    expect(page.locator("#page-problem")).to_contain_text("iam:GetUser")
