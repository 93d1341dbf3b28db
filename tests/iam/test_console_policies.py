"""The console's policy pages, signed in to 444455556666 (tests/iam/console_world.py): the list with its filters
and pages, create policy with the validator's findings by line and the KMS key usage helper, and the policy page
(versions, compare, entities attached). Django's test client where a browser adds nothing; Playwright for the
guide's walk: the KMS helper writes the statement, the policy is attached to a role, two versions compared."""

import copy
import json

import pytest
from playwright.sync_api import expect

from accounts.models import IamPolicy, IamRole
from tests.conftest import OWNER, TRUSTED
from tests.iam.conftest import KEY_ARN, KEY_ID, KEY_USE_ACTIONS
from tests.iam.console_world import CONSOLE_WORLD, password_of, signed_in
from tests.iam.console_world import console_world  # noqa: F401  (a fixture)

USE_THE_KEY = f"arn:aws:iam::{TRUSTED}:policy/UseTheKey"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
GUIDE_STATEMENT = {"Sid": f"AllowUseOfKeyInAccount{OWNER}", "Effect": "Allow", "Action": KEY_USE_ACTIONS,
                   "Resource": KEY_ARN}


def policy_named(name: str) -> IamPolicy:
    return IamPolicy.objects.get(account_id=TRUSTED, name=name)


def versions_of(name: str) -> list[str]:
    return sorted(policy_named(name).versions.values_list("version_id", flat=True))


def document_text(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=4)


def create_post(client, **fields):
    data = {"go": "create", "policy_document": document_text(GUIDE_STATEMENT), "policy_name": "UseSharedKey",
            "description": "", "key_arns": "", **fields}
    return client.post("/iam/policies/create/", data, HTTP_HX_REQUEST="true")


# ---- findings by line (pure) ----


def test_each_finding_points_at_the_line_of_its_json_path():
    from iam.forms_policies import json_path_lines

    text = document_text({"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"})
    lines = json_path_lines(text)
    assert lines["Statement[0]"] == 4
    assert lines["Statement[0].Action[1]"] == 8
    assert text.splitlines()[lines["Statement[0].Resource"] - 1].strip() == '"Resource": "*"'


def test_a_path_that_is_not_in_the_text_falls_back_to_where_it_would_be():
    from iam.forms_policies import findings_by_line
    from policies.validator import validate_policy

    missing_statement = '{"Version": "2012-10-17"}'
    finding, = findings_by_line(missing_statement, validate_policy(missing_statement, "IDENTITY_POLICY"))
    assert finding["path"] == "Statement" and finding["line"] == 1


# ---- list ----


@pytest.mark.usefixtures("console_world")
def test_the_list_shows_customer_and_aws_managed_policies_and_filters_them():
    client = signed_in("Reader")
    body = client.get("/iam/policies/").content.decode()
    assert "UseTheKey" in body and "AdministratorAccess" in body
    assert 'href="/iam/policies/UseTheKey/"' in body
    assert f'href="/iam/policies/{ADMINISTRATOR_ACCESS}/"' in body

    local = client.get("/iam/policies/?type=local", HTTP_HX_REQUEST="true").content.decode()
    assert local.lstrip().startswith('<div id="policy-table">')
    assert "UseTheKey" in local and "AdministratorAccess" not in local

    aws = client.get("/iam/policies/?type=aws&q=iamread").content.decode()
    assert "IAMReadOnlyAccess" in aws and "UseTheKey" not in aws and "AdministratorAccess</a>" not in aws


@pytest.fixture
def many_policies(transactional_db, load_scenario):
    world = copy.deepcopy(CONSOLE_WORLD)
    trusted = next(a for a in world["accounts"] if a["id"] == TRUSTED)
    trusted["managed_policies"] += [
        {"name": f"Batch{index:02d}", "document": json.loads(document_text(GUIDE_STATEMENT))} for index in range(55)]
    load_scenario(world)


@pytest.mark.usefixtures("many_policies")
def test_the_list_pages_through_many_policies():
    client = signed_in("Reader")
    first = client.get("/iam/policies/?type=local").content.decode()
    assert first.count('href="/iam/policies/Batch') == 50
    next_link = first.split('<a href="?q=&amp;type=local&amp;marker=')[1].split('"')[0]
    second = client.get(f"/iam/policies/?q=&type=local&marker={next_link}").content.decode()
    assert "Batch54" in second and "UseTheKey" in second and "Batch00" not in second
    assert "First page" in second


@pytest.mark.usefixtures("console_world")
def test_a_principal_without_list_policies_sees_the_denial_in_place():
    body = signed_in("Nobody").get("/iam/policies/").content.decode()
    assert "is not authorized to perform: iam:ListPolicies" in body


# ---- create policy ----


@pytest.mark.usefixtures("console_world")
def test_the_create_page_starts_with_an_empty_policy_and_the_guides_actions_ticked():
    body = signed_in("IamAdmin").get("/iam/policies/create/").content.decode()
    assert "&quot;Version&quot;: &quot;2012-10-17&quot;" in body
    for action in KEY_USE_ACTIONS:
        assert f'value="{action}"' in body
    assert body.count(" checked") == len(KEY_USE_ACTIONS)  # grants for AWS resources is left to choose


@pytest.mark.usefixtures("console_world")
def test_check_policy_lists_findings_by_line():
    text = document_text(GUIDE_STATEMENT, {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "alias/Mine"})
    body = signed_in("IamAdmin").post("/iam/policies/create/", {"go": "check", "policy_document": text},
                                      HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="policy-findings"')
    resource_line = next(n for n, line in enumerate(text.splitlines(), 1) if "alias/Mine" in line)
    assert f'data-line="{resource_line}"' in body
    assert "Statement[1].Resource" in body


@pytest.mark.usefixtures("console_world")
def test_check_policy_points_at_the_line_of_broken_json():
    body = signed_in("IamAdmin").post("/iam/policies/create/", {"go": "check", "policy_document": '{\n  "Version": ,\n}'},
                                      HTTP_HX_REQUEST="true").content.decode()
    assert "Line 2" in body and "not valid JSON" in body


@pytest.mark.usefixtures("console_world")
def test_the_kms_helper_writes_the_guides_statement_into_the_editor():
    response = signed_in("IamAdmin").post("/iam/policies/create/", {
        "go": "kms", "policy_document": "", "kms_actions": KEY_USE_ACTIONS, "key_arns": KEY_ARN,
        "policy_name": "UseSharedKey"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="create-policy"')
    editor = json.loads(_textarea(body, "id_policy_document"))
    assert editor == {"Version": "2012-10-17", "Statement": [GUIDE_STATEMENT]}
    assert 'value="UseSharedKey"' in body  # the rest of the form is kept


@pytest.mark.usefixtures("console_world")
@pytest.mark.parametrize("entry, words", [(KEY_ID, "is a bare key ID"), ("alias/ExampleKey", "is an alias name")])
def test_the_kms_helper_refuses_what_is_not_a_key_arn_by_the_field(entry, words):
    before = document_text()
    body = signed_in("IamAdmin").post("/iam/policies/create/", {
        "go": "kms", "policy_document": before, "kms_actions": ["kms:Decrypt"], "key_arns": entry},
        HTTP_HX_REQUEST="true").content.decode()
    assert 'id="key-arns-error"' in body
    error = body.split('id="key-arns-error">')[1].split("</p>")[0]
    assert words in error and "named only by its key ARN" in error
    assert json.loads(_textarea(body, "id_policy_document")) == json.loads(before)


@pytest.mark.usefixtures("console_world")
def test_the_kms_helper_adds_grants_for_aws_resources_with_the_condition():
    body = signed_in("IamAdmin").post("/iam/policies/create/", {
        "go": "kms", "policy_document": "", "kms_actions": ["grants"], "key_arns": KEY_ARN},
        HTTP_HX_REQUEST="true").content.decode()
    statement, = json.loads(_textarea(body, "id_policy_document"))["Statement"]
    assert statement["Action"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert statement["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.usefixtures("console_world")
def test_the_kms_helper_needs_an_action():
    body = signed_in("IamAdmin").post("/iam/policies/create/", {"go": "kms", "policy_document": "",
                                                                "key_arns": KEY_ARN},
                                      HTTP_HX_REQUEST="true").content.decode()
    assert 'id="kms-actions-error"' in body


@pytest.mark.usefixtures("console_world")
def test_create_policy_creates_it_and_opens_its_page():
    client = signed_in("IamAdmin")
    response = create_post(client, description="Use key 0b1c... of 111122223333")
    assert response["HX-Redirect"] == "/iam/policies/UseSharedKey/"
    created = policy_named("UseSharedKey")
    assert json.loads(created.default_version.document)["Statement"] == [GUIDE_STATEMENT]
    assert created.description == "Use key 0b1c... of 111122223333"
    page = client.get("/iam/policies/UseSharedKey/").content.decode()
    assert "Policy UseSharedKey created." in page
    assert f"arn:aws:iam::{TRUSTED}:policy/UseSharedKey" in page
    assert "AllowUseOfKeyInAccount111122223333" in page  # the default version's JSON


@pytest.mark.usefixtures("console_world")
def test_a_bad_name_and_a_malformed_document_are_shown_by_their_fields_and_create_nothing():
    client = signed_in("IamAdmin")
    before = IamPolicy.objects.count()
    bad_name = create_post(client, policy_name="no spaces allowed").content.decode()
    assert 'id="id_policy_name-error"' in bad_name
    malformed = create_post(client, policy_document=document_text({"Effect": "Allow", "Resource": "*"})).content.decode()
    assert 'id="policy-document-error"' in malformed
    assert "Line 4" in malformed and "The statement has no Action or NotAction." in malformed
    taken = create_post(client, policy_name="UseTheKey").content.decode()
    assert "UseTheKey already exists" in taken and 'id="id_policy_name-error"' in taken
    assert IamPolicy.objects.count() == before


@pytest.mark.usefixtures("console_world")
def test_a_reader_is_denied_create_policy_in_place():
    body = create_post(signed_in("Reader")).content.decode()
    assert "is not authorized to perform: iam:CreatePolicy" in body
    assert not IamPolicy.objects.filter(name="UseSharedKey").exists()


# ---- the policy page ----


@pytest.mark.usefixtures("console_world")
def test_an_aws_managed_policy_opens_by_its_arn_read_only():
    body = signed_in("Reader").get(f"/iam/policies/{ADMINISTRATOR_ACCESS}/").content.decode()
    assert "AWS managed" in body and '"Action": "*"' in body.replace("&quot;", '"')
    versions = signed_in("Reader").get(f"/iam/policies/{ADMINISTRATOR_ACCESS}/?tab=versions").content.decode()
    assert "Create a new version" not in versions and "Set as default" not in versions


@pytest.mark.usefixtures("console_world")
def test_a_missing_policy_is_a_styled_404_and_a_denied_one_a_403():
    assert signed_in("Reader").get("/iam/policies/Nope/").status_code == 404
    denied = signed_in("Nobody").get("/iam/policies/UseTheKey/")
    assert denied.status_code == 403
    assert "is not authorized to perform: iam:GetPolicy" in denied.content.decode()


def post_change(client, change, **fields):
    return client.post("/iam/policies/UseTheKey/", {"change": change, **fields},
                       HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.usefixtures("console_world")
def test_versions_are_created_set_as_default_compared_and_deleted():
    client = signed_in("IamAdmin")
    narrower = document_text({**GUIDE_STATEMENT, "Action": ["kms:Decrypt"]})
    body = post_change(client, "create-version", policy_document=narrower, set_as_default="")
    assert "Version v2 created." in body
    assert policy_named("UseTheKey").default_version.version_id == "v1"

    body = post_change(client, "set-default", version_id="v2")
    assert "Version v2 is the default version now." in body
    assert policy_named("UseTheKey").default_version.version_id == "v2"

    compared = client.get("/iam/policies/UseTheKey/?tab=versions&fragment=tabs&compare=v1&with=v2",
                          HTTP_HX_REQUEST="true").content.decode()
    assert compared.lstrip().startswith('<div id="policy-tabs">')
    assert "Compare v1 with v2" in compared
    assert 'class="iam-diff-removed"' in compared or 'class="iam-diff-changed"' in compared
    assert "kms:Encrypt" in compared.split('id="version-comparison"')[1]

    refused = post_change(client, "delete-version", version_id="v2")
    assert "Cannot delete the default version of a policy." in refused
    assert post_change(client, "delete-version", version_id="v1").count("Version v1 deleted.") == 1
    assert versions_of("UseTheKey") == ["v2"]


@pytest.mark.usefixtures("console_world")
def test_a_sixth_version_is_refused_in_place():
    client = signed_in("IamAdmin")
    for _ in range(4):
        post_change(client, "create-version", policy_document=document_text(GUIDE_STATEMENT))
    body = post_change(client, "create-version", policy_document=document_text(GUIDE_STATEMENT))
    assert "A managed policy can have up to 5 versions." in body
    assert len(versions_of("UseTheKey")) == 5


@pytest.mark.usefixtures("console_world")
def test_a_malformed_new_version_is_shown_by_the_editor_with_findings():
    body = post_change(signed_in("IamAdmin"), "create-version", policy_document='{"Version": "2012-10-17"}')
    assert 'id="new-version-error"' in body and 'id="version-findings"' in body
    assert versions_of("UseTheKey") == ["v1"]


@pytest.mark.usefixtures("console_world")
def test_entities_attached_lists_the_group_and_attaches_and_detaches_a_role_and_a_user():
    client = signed_in("IamAdmin")
    body = client.get("/iam/policies/UseTheKey/?tab=entities").content.decode()
    assert "Developers" in body and "User group" in body
    assert 'value="role:ExampleRole"' in body and 'value="user:Alice"' in body

    body = post_change(client, "attach", entity="role:ExampleRole")
    assert "Policy attached to role ExampleRole." in body
    post_change(client, "attach", entity="user:Alice")
    role = IamRole.objects.get(account_id=TRUSTED, name="ExampleRole")
    assert [p.name for p in role.managed_policies.all()] == ["UseTheKey"]
    assert policy_named("UseTheKey").users.filter(name="Alice").exists()

    body = post_change(client, "detach", entity="role:ExampleRole")
    assert "Policy detached from role ExampleRole." in body
    assert not role.managed_policies.exists()


@pytest.mark.usefixtures("console_world")
def test_a_reader_cannot_attach_and_sees_why():
    body = post_change(signed_in("Reader"), "attach", entity="role:ExampleRole")
    assert "is not authorized to perform: iam:AttachRolePolicy" in body
    assert not IamRole.objects.get(account_id=TRUSTED, name="ExampleRole").managed_policies.exists()


@pytest.mark.usefixtures("console_world")
def test_deleting_an_attached_policy_is_refused_in_place():
    body = post_change(signed_in("IamAdmin"), "delete-policy", confirm="UseTheKey")
    assert "Cannot delete a policy attached to entities." in body
    assert IamPolicy.objects.filter(name="UseTheKey").exists()


def _textarea(body: str, element_id: str) -> str:
    import html

    return html.unescape(body.split(f'id="{element_id}"')[1].split(">", 1)[1].split("</textarea>")[0])


# ---- in a real browser ----

def sign_in_as_admin(signed_in_page):
    return signed_in_page("key-user", "IamAdmin", password_of("IamAdmin"))


@pytest.mark.browser
@pytest.mark.usefixtures("console_world")
def test_browser_create_policy_with_the_kms_helper_and_attach_it_to_a_role(signed_in_page):
    page = sign_in_as_admin(signed_in_page)
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto("/iam/policies/")
    page.get_by_role("link", name="Create policy").click()

    # A bare key id is refused by the field, and the editor is left as it was.
    page.get_by_label("Key ARNs").fill(KEY_ID)
    page.get_by_role("button", name="Add statements to the editor").click()
    expect(page.locator("#key-arns-error")).to_contain_text("is a bare key ID")
    expect(page.locator("#key-arns-error")).to_contain_text("named only by its key ARN")
    assert json.loads(page.get_by_label("Policy editor (JSON)").input_value())["Statement"] == []

    page.get_by_label("Key ARNs").fill(KEY_ARN)
    page.get_by_role("button", name="Add statements to the editor").click()
    expect(page.locator(".kms-notice")).to_contain_text("KMS key usage statements are in the policy editor")
    assert json.loads(page.get_by_label("Policy editor (JSON)").input_value())["Statement"] == [GUIDE_STATEMENT]
    page.get_by_role("button", name="Check policy").click()
    expect(page.locator("#policy-findings")).to_be_visible()
    page.screenshot(path="/tmp/iam-create-policy.png", full_page=True)

    page.get_by_label("Policy name").fill("UseSharedKey")
    page.get_by_role("button", name="Create policy").click()
    expect(page.locator("h1")).to_have_text("UseSharedKey")

    page.get_by_role("link", name="Entities attached").click()
    page.get_by_label("User, group or role").select_option("role:ExampleRole")
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator("#attached-entities")).to_contain_text("ExampleRole")

    page.get_by_role("link", name="ExampleRole").click()
    expect(page.locator("#attached-policies")).to_contain_text("UseSharedKey")
    role = IamRole.objects.get(account_id=TRUSTED, name="ExampleRole")
    assert [p.name for p in role.managed_policies.all()] == ["UseSharedKey"]


@pytest.mark.browser
@pytest.mark.usefixtures("console_world")
def test_browser_compare_two_versions_side_by_side(signed_in_page):
    page = sign_in_as_admin(signed_in_page)
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto("/iam/policies/UseTheKey/")
    page.get_by_role("link", name="Policy versions").click()
    page.locator("summary", has_text="Create a new version").click()
    page.get_by_label("Policy editor (JSON)").fill(document_text({**GUIDE_STATEMENT, "Action": ["kms:Decrypt"]}))
    page.get_by_role("button", name="Save new version").click()
    expect(page.locator("#policy-versions")).to_contain_text("v2")

    page.get_by_label("v1 on the left").check()
    page.get_by_label("v2 on the right").check()
    page.get_by_role("button", name="Compare versions").click()
    comparison = page.locator("#version-comparison")
    expect(comparison).to_contain_text("Compare v1 with v2")
    expect(comparison.locator(".iam-diff-changed, .iam-diff-removed").first).to_be_visible()
    expect(comparison.locator(".iam-diff-left").filter(has_text="kms:Encrypt")).to_have_count(1)
    page.screenshot(path="/tmp/iam-compare-versions.png", full_page=True)
