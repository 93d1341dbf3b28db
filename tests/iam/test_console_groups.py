"""The IAM console's user group pages: list, create (CreateGroup, then each member and policy as its own
operation), members, permissions and delete, each one IAM operation as the signed-in principal."""

import json
import re

from accounts.models import IamGroup
from tests.conftest import TRUSTED
from tests.iam.console_world import console_world, signed_in  # noqa: F401  (fixture)
from tests.iam.test_console_users import HTMX, USE_THE_KEY_ARN, alerts, iam_state


def group_row(name):
    return IamGroup.objects.filter(account_id=TRUSTED, name=name).first()


def test_group_list_shows_and_filters_the_groups(console_world, load_scenario):
    load_scenario({"version": 1, "accounts": [{"id": TRUSTED, "groups": [{"name": "Auditors"}]}]})
    client = signed_in("Reader")
    html = client.get("/iam/groups/").content.decode()
    assert 'href="/iam/groups/Developers/"' in html and 'href="/iam/groups/Auditors/"' in html
    filtered = client.get("/iam/groups/?q=aud", **HTMX).content.decode()
    assert 'href="/iam/groups/Auditors/"' in filtered and 'href="/iam/groups/Developers/"' not in filtered


def test_group_list_refused_is_shown_in_place(console_world):
    response = signed_in("Nobody").get("/iam/groups/")
    assert response.status_code == 200 and "iam:ListGroups" in alerts(response)


def test_create_group_with_members_and_policies(console_world):
    client = signed_in("IamAdmin")
    response = client.post("/iam/groups/create/", {"group_name": "KeyUsers", "path": "/teams/",
                                                   "users": ["Alice", "Nobody"], "policies": [USE_THE_KEY_ARN]})
    assert response.status_code == 302 and response["Location"] == "/iam/groups/KeyUsers/"
    group = group_row("KeyUsers")
    assert group.path == "/teams/"
    assert sorted(u.name for u in group.members.all()) == ["Alice", "Nobody"]
    assert [p.name for p in group.managed_policies.all()] == ["UseTheKey"]
    assert "User group KeyUsers created." in client.get("/iam/groups/KeyUsers/").content.decode()


def test_create_group_with_a_taken_name_is_refused_by_the_field(console_world):
    before = iam_state()
    response = signed_in("IamAdmin").post("/iam/groups/create/", {"group_name": "developers"})
    assert response.status_code == 400
    assert re.search(r'id="id_group_name_error"[^>]*>Group with name developers already exists\.',
                     response.content.decode()), response.content.decode()
    assert iam_state() == before


def test_create_group_refused_shows_access_denied(console_world):
    before = iam_state()
    response = signed_in("Reader").post("/iam/groups/create/", {"group_name": "Sneaky"})
    assert "AccessDenied" in alerts(response) and "iam:CreateGroup" in alerts(response)
    assert iam_state() == before


def test_group_page_lists_members_and_permissions(console_world):
    client = signed_in("IamAdmin")
    client.post("/iam/groups/Developers/members/", {"change": "add", "user_name": "Alice"})
    users_tab = client.get("/iam/groups/Developers/").content.decode()
    assert 'href="/iam/users/Alice/"' in users_tab.split('id="group-members"')[1].split("</table>")[0]
    permissions = client.get("/iam/groups/Developers/tabs/permissions/", **HTMX).content.decode()
    assert "UseTheKey" in permissions.split('id="attached-policies"')[1].split("</table>")[0]
    assert "ReadIam" in permissions.split('id="inline-policies"')[1].split("</table>")[0]


def test_add_and_remove_members(console_world):
    client = signed_in("IamAdmin")
    response = client.post("/iam/groups/Developers/members/", {"change": "add", "user_name": "Nobody"}, **HTMX)
    assert "User Nobody added to the group." in response.content.decode()
    assert [u.name for u in group_row("Developers").members.all()] == ["Nobody"]
    client.post("/iam/groups/Developers/members/", {"change": "remove", "user_name": "Nobody"})
    assert not group_row("Developers").members.exists()


def test_attach_detach_and_inline_policies_of_a_group(console_world):
    client = signed_in("IamAdmin")
    url = "/iam/groups/Developers/permissions/"
    client.post(url, {"change": "detach", "policy_arn": USE_THE_KEY_ARN})
    assert not group_row("Developers").managed_policies.exists()
    client.post(url, {"change": "attach", "policy_arn": USE_THE_KEY_ARN})
    assert [p.name for p in group_row("Developers").managed_policies.all()] == ["UseTheKey"]
    client.post(url, {"change": "delete-inline", "policy_name": "ReadIam"})
    assert not group_row("Developers").inline_policies.exists()
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
    client.post(url, {"change": "put-inline", "policy_name": "ListUsers", "policy_document": document})
    assert [p.name for p in group_row("Developers").inline_policies.all()] == ["ListUsers"]


def test_a_refused_group_change_changes_nothing(console_world):
    before = iam_state()
    response = signed_in("Reader").post("/iam/groups/Developers/members/", {"change": "add", "user_name": "Alice"},
                                        **HTMX)
    assert "iam:AddUserToGroup" in alerts(response)
    assert iam_state() == before


def test_delete_group_refused_with_delete_conflict_then_deleted_once_empty(console_world):
    client = signed_in("IamAdmin")
    before = iam_state()
    response = client.post("/iam/groups/Developers/delete/", {"confirm": "Developers"}, **HTMX)
    delete_panel = response.content.decode().split('id="delete-group-form"')[1].split("</form>")[0]
    assert "DeleteConflict" in delete_panel
    assert iam_state() == before

    client.post("/iam/groups/Developers/permissions/", {"change": "detach", "policy_arn": USE_THE_KEY_ARN})
    client.post("/iam/groups/Developers/permissions/", {"change": "delete-inline", "policy_name": "ReadIam"})
    response = client.post("/iam/groups/Developers/delete/", {"confirm": "Developers"})
    assert response.status_code == 302 and response["Location"] == "/iam/groups/"
    assert group_row("Developers") is None


def test_unknown_group_is_shown_as_no_such_entity(console_world):
    response = signed_in("IamAdmin").get("/iam/groups/Nope/")
    assert response.status_code == 404 and "NoSuchEntity" in alerts(response)
