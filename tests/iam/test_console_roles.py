"""The console's role pages through Django's test client, signed in to 444455556666 (tests/iam/console_world.py):
the list, each step of the create-role wizard, the role page's tabs and its changes, each one IAM operation as
the signed-in user; refused changes are shown in place and change nothing. At the end, the wizard in a real
Chromium: another account with an external ID, and the role page shows the trust policy AWS writes."""

import html
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from accounts.models import IamRole
from tests.conftest import OWNER, TRUSTED
from tests.iam.console_world import password_of, signed_in
from tests.iam.console_world import console_world  # noqa: F401  (a fixture)

USE_THE_KEY = f"arn:aws:iam::{TRUSTED}:policy/UseTheKey"
ALICE_ARN = f"arn:aws:iam::{TRUSTED}:user/Alice"

pytestmark = pytest.mark.usefixtures("console_world")


def role(name: str) -> IamRole:
    return IamRole.objects.get(account_id=TRUSTED, name=name)


def attached_arns(name: str) -> list[str]:
    return sorted(policy.arn for policy in role(name).managed_policies.all())


def wizard_post(client, step: int, go: str = "next", **fields):
    data = {"step": step, "go": go, "trust-trust": "another", "trust-account_id": OWNER,
            "trust-require_external_id": "", "trust-external_id": "", "details-role_name": "", **fields}
    return client.post("/iam/roles/create/", data, HTTP_HX_REQUEST="true")


# ---- list ----


def test_role_list_shows_the_roles_with_their_trusted_entities():
    page = signed_in("Reader").get("/iam/roles/").content.decode()
    assert "ExampleRole" in page
    assert ALICE_ARN in page  # the trusted entity of ExampleRole


def test_role_list_filter_answers_htmx_with_the_table_only():
    response = signed_in("Reader").get("/iam/roles/?q=nomatch", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="role-table">')
    assert "No role matches" in body


def test_a_principal_without_list_roles_sees_the_denial_in_place():
    response = signed_in("Nobody").get("/iam/roles/")
    assert response.status_code == 200
    assert "is not authorized to perform: iam:ListRoles" in response.content.decode()


# ---- create role wizard ----


def test_step_one_refuses_a_bad_account_id_by_the_field():
    response = wizard_post(signed_in("IamAdmin"), 1, **{"trust-account_id": "1111-2222"})
    body = response.content.decode()
    assert 'id="id_trust-account_id-error"' in body
    assert "is not an AWS account ID" in body
    assert 'aria-current="step"' in body and "Select trusted entity</li>" in body.replace("\n", "")


def test_step_one_refuses_a_missing_external_id_when_one_is_required():
    response = wizard_post(signed_in("IamAdmin"), 1, **{"trust-require_external_id": "on"})
    assert 'id="id_trust-external_id-error"' in response.content.decode()


def test_a_valid_step_one_leads_to_the_permissions_step_carrying_its_answers():
    body = wizard_post(signed_in("IamAdmin"), 1, **{"trust-require_external_id": "on",
                                                   "trust-external_id": "Example-Corp-42"}).content.decode()
    assert "Add permissions</h2>" in body
    assert 'name="trust-external_id" value="Example-Corp-42"' in body
    assert 'value="arn:aws:iam::aws:policy/AdministratorAccess"' in body
    assert f'value="{USE_THE_KEY}"' in body


def test_the_policy_filter_keeps_what_was_chosen():
    client = signed_in("IamAdmin")
    body = wizard_post(client, 2, go="filter", policy_query="IAMRead",
                       **{"permissions-policy_arns": USE_THE_KEY}).content.decode()
    assert body.lstrip().startswith('<div id="policy-picker">')
    assert "IAMReadOnlyAccess" in body and "AdministratorAccess" not in body
    assert f'value="{USE_THE_KEY}" id="pick-1" checked' in body


def test_step_two_refuses_more_than_ten_policies():
    arns = [f"arn:aws:iam::aws:policy/P{i}" for i in range(11)]
    body = wizard_post(signed_in("IamAdmin"), 2, **{"permissions-policy_arns": arns}).content.decode()
    assert "at most 10 managed policies" in body
    assert "Add permissions</h2>" in body


def test_the_review_shows_the_trust_policy_aws_writes():
    body = wizard_post(signed_in("IamAdmin"), 2, **{"trust-require_external_id": "on",
                                                   "trust-external_id": "Example-Corp-42",
                                                   "permissions-policy_arns": USE_THE_KEY}).content.decode()
    assert "Name, review, and create</h2>" in body
    assert f"arn:aws:iam::{OWNER}:root" in body
    assert "sts:ExternalId" in body and "Example-Corp-42" in body
    assert "UseTheKey" in body


def test_create_role_creates_the_role_with_its_trust_policy_and_policies():
    client = signed_in("IamAdmin")
    response = wizard_post(client, 3, go="create", **{
        "trust-require_external_id": "on", "trust-external_id": "Example-Corp-42",
        "permissions-policy_arns": USE_THE_KEY, "details-role_name": "PartnerRole",
        "details-description": "Assumed by the key owner's auditors"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/iam/roles/PartnerRole/"
    created = role("PartnerRole")
    assert json.loads(created.trust_policy) == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Example-Corp-42"}}}]}
    assert created.description == "Assumed by the key owner's auditors"
    assert attached_arns("PartnerRole") == [USE_THE_KEY]
    assert "Role PartnerRole created." in client.get("/iam/roles/PartnerRole/").content.decode()


def test_this_account_without_external_id_trusts_the_own_account_root():
    wizard_post(signed_in("IamAdmin"), 3, go="create", **{"trust-trust": "this", "details-role_name": "Local"})
    assert json.loads(role("Local").trust_policy)["Statement"] == [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"}, "Action": "sts:AssumeRole"}]


def test_a_taken_role_name_is_shown_by_the_field_and_nothing_changes():
    before = list(IamRole.objects.values_list("name", flat=True))
    body = wizard_post(signed_in("IamAdmin"), 3, go="create",
                       **{"details-role_name": "exampleRole"}).content.decode()
    assert 'id="id_details-role_name-error"' in body
    assert "Role with name exampleRole already exists." in body
    assert list(IamRole.objects.values_list("name", flat=True)) == before


def test_a_reader_is_denied_create_role_in_place_with_the_explanation():
    body = wizard_post(signed_in("Reader"), 3, go="create", **{"details-role_name": "Sneaky"}).content.decode()
    assert "is not authorized to perform: iam:CreateRole" in body
    assert "Name, review, and create</h2>" in body
    assert not IamRole.objects.filter(name="Sneaky").exists()


def test_create_jumps_back_to_the_first_step_with_a_problem():
    body = wizard_post(signed_in("IamAdmin"), 3, go="create", **{"trust-account_id": "12",
                                                               "details-role_name": "X"}).content.decode()
    assert "Select trusted entity</h2>" in body
    assert not IamRole.objects.filter(name="X").exists()


def test_previous_goes_back_without_complaining():
    body = wizard_post(signed_in("IamAdmin"), 3, go="back").content.decode()
    assert "Add permissions</h2>" in body
    assert "kms-field-error" not in body


# ---- the role page ----


def test_role_page_shows_summary_and_the_link_to_switch_roles():
    client = signed_in("Reader")
    body = client.get("/iam/roles/ExampleRole/").content.decode()
    assert f"arn:aws:iam::{TRUSTED}:role/ExampleRole" in body
    link = html.unescape(body.split('id="switch-role-link" href="')[1].split('"')[0])
    parts = urlsplit(link)
    assert parts.path == "/switchrole/"
    assert parse_qs(parts.query) == {"roleName": ["ExampleRole"], "account": [TRUSTED]}
    # The link prefills Switch role.
    switch = client.get(f"{parts.path}?{parts.query}").content.decode()
    assert f'value="{TRUSTED}"' in switch and 'value="ExampleRole"' in switch


def test_a_missing_role_is_a_styled_404():
    response = signed_in("Reader").get("/iam/roles/Nope/")
    assert response.status_code == 404
    assert "The role with name Nope cannot be found." in response.content.decode()


def test_a_principal_who_may_not_read_the_role_gets_the_denial_not_a_500():
    response = signed_in("Nobody").get("/iam/roles/ExampleRole/")
    assert response.status_code == 403
    assert "is not authorized to perform: iam:GetRole" in response.content.decode()


def test_tabs_answer_htmx_with_the_tabs_only():
    client = signed_in("Reader")
    for tab in ("permissions", "trust", "tags"):
        response = client.get(f"/iam/roles/ExampleRole/tab/{tab}/", HTTP_HX_REQUEST="true")
        assert response.content.decode().lstrip().startswith('<div id="role-tabs">'), tab


def test_trust_tab_shows_the_trust_policy_in_the_editor():
    body = signed_in("Reader").get("/iam/roles/ExampleRole/?tab=trust").content.decode()
    assert 'id="trust-policy"' in body
    assert ALICE_ARN in body


def test_check_policy_lists_the_validators_findings_with_their_lines():
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}, indent=4)
    body = signed_in("IamAdmin").post("/iam/roles/ExampleRole/trust/check/", {"policy_document": text},
                                      HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="trust-findings"')
    assert "Line 4" in body  # the statement without a Principal starts on line 4
    assert "Statement[0]" in body


def test_update_trust_policy_changes_it():
    text = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "sts:AssumeRole"}]})
    body = signed_in("IamAdmin").post("/iam/roles/ExampleRole/trust/", {"policy_document": text},
                                      HTTP_HX_REQUEST="true").content.decode()
    assert "Trust policy updated." in body
    assert json.loads(role("ExampleRole").trust_policy) == json.loads(text)


def test_a_bad_trust_policy_is_refused_by_the_editor_with_findings_and_nothing_changes():
    before = role("ExampleRole").trust_policy
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}'
    body = signed_in("IamAdmin").post("/iam/roles/ExampleRole/trust/", {"policy_document": text},
                                      HTTP_HX_REQUEST="true").content.decode()
    assert 'id="trust-error"' in body and "MalformedPolicyDocument" in body
    assert 'id="trust-findings"' in body and "Line 1" in body
    assert role("ExampleRole").trust_policy == before


def test_a_reader_cannot_update_the_trust_policy():
    before = role("ExampleRole").trust_policy
    body = signed_in("Reader").post("/iam/roles/ExampleRole/trust/", {"policy_document": before},
                                    HTTP_HX_REQUEST="true").content.decode()
    assert "is not authorized to perform: iam:UpdateAssumeRolePolicy" in body
    assert role("ExampleRole").trust_policy == before


def test_attach_and_detach_a_managed_policy():
    client = signed_in("IamAdmin")
    body = client.post("/iam/roles/ExampleRole/permissions/", {"change": "attach", "policy_arn": USE_THE_KEY},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "Policy attached." in body and 'href="/iam/policies/arn:aws:iam::444455556666:policy/UseTheKey/"' in body
    assert attached_arns("ExampleRole") == [USE_THE_KEY]
    client.post("/iam/roles/ExampleRole/permissions/", {"change": "detach", "policy_arn": USE_THE_KEY},
                HTTP_HX_REQUEST="true")
    assert attached_arns("ExampleRole") == []


def test_a_reader_cannot_attach_and_sees_why():
    body = signed_in("Reader").post("/iam/roles/ExampleRole/permissions/",
                                    {"change": "attach", "policy_arn": USE_THE_KEY},
                                    HTTP_HX_REQUEST="true").content.decode()
    assert "is not authorized to perform: iam:AttachRolePolicy" in body
    assert attached_arns("ExampleRole") == []


def test_add_and_remove_an_inline_policy():
    client = signed_in("IamAdmin")
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]})
    body = client.post("/iam/roles/ExampleRole/permissions/", {
        "change": "put-inline", "policy_name": "DecryptAnything", "policy_document": document},
        HTTP_HX_REQUEST="true").content.decode()
    assert "DecryptAnything" in body and "kms:Decrypt" in body
    assert role("ExampleRole").inline_policies.filter(name="DecryptAnything").exists()
    client.post("/iam/roles/ExampleRole/permissions/", {"change": "delete-inline", "policy_name": "DecryptAnything"},
                HTTP_HX_REQUEST="true")
    assert not role("ExampleRole").inline_policies.exists()


def test_tags_are_added_and_removed():
    client = signed_in("IamAdmin")
    body = client.post("/iam/roles/ExampleRole/tags/", {"tag_key": "team", "tag_value": "payments"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "Tag added." in body and "payments" in body
    assert role("ExampleRole").tags == {"team": "payments"}
    client.post("/iam/roles/ExampleRole/tags/", {"remove": "team"}, HTTP_HX_REQUEST="true")
    assert role("ExampleRole").tags == {}


def test_delete_needs_the_name_typed():
    body = signed_in("IamAdmin").post("/iam/roles/ExampleRole/delete/", {"confirm": "nope"},
                                      HTTP_HX_REQUEST="true").content.decode()
    assert "Enter ExampleRole to confirm." in body
    assert IamRole.objects.filter(name="ExampleRole").exists()


def test_delete_with_a_policy_attached_is_refused_in_place_then_works_once_detached():
    client = signed_in("IamAdmin")
    client.post("/iam/roles/ExampleRole/permissions/", {"change": "attach", "policy_arn": USE_THE_KEY},
                HTTP_HX_REQUEST="true")
    body = client.post("/iam/roles/ExampleRole/delete/", {"confirm": "ExampleRole"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "DeleteConflict" in body
    assert attached_arns("ExampleRole") == [USE_THE_KEY]
    client.post("/iam/roles/ExampleRole/permissions/", {"change": "detach", "policy_arn": USE_THE_KEY},
                HTTP_HX_REQUEST="true")
    response = client.post("/iam/roles/ExampleRole/delete/", {"confirm": "ExampleRole"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/iam/roles/"
    assert not IamRole.objects.filter(name="ExampleRole").exists()


# ---- in a real browser ----


@pytest.mark.browser
def test_browser_wizard_another_account_with_external_id_shows_the_trust_policy(signed_in_page):
    page = signed_in_page("key-user", "IamAdmin", password_of("IamAdmin"))
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto("/iam/roles/")
    page.get_by_role("link", name="Create role").click()

    page.get_by_label("Another AWS account").check()
    page.get_by_label("Account ID").fill("1111-2222")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#id_trust-account_id-error")).to_contain_text("is not an AWS account ID")
    page.get_by_label("Account ID").fill(OWNER)
    page.get_by_label("Require external ID").check()
    page.get_by_label("External ID", exact=True).fill("Example-Corp-42")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Add permissions")).to_be_visible()
    # The step was swapped in by htmx: type only once htmx has settled it (and so listens to its filter box).
    page.wait_for_function("() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping')")
    page.get_by_label("Filter policies").fill("UseThe")
    expect(page.locator("#policy-picker")).not_to_contain_text("AdministratorAccess")
    page.get_by_label("UseTheKey").check()
    page.get_by_role("button", name="Next").click()

    expect(page.locator("#trust-policy-preview")).to_contain_text("sts:ExternalId")
    page.get_by_label("Role name").fill("PartnerRole")
    page.get_by_role("button", name="Create role").click()

    expect(page.locator("h1")).to_have_text("PartnerRole")
    expect(page.locator("#attached-policies")).to_contain_text("UseTheKey")
    page.get_by_role("link", name="Trust relationships").click()
    trust = json.loads(page.get_by_label("Trust policy (JSON)").input_value())
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
                                   "Action": "sts:AssumeRole",
                                   "Condition": {"StringEquals": {"sts:ExternalId": "Example-Corp-42"}}}]
    expect(page.locator("#switch-role-link")).to_contain_text(f"roleName=PartnerRole&account={TRUSTED}")
