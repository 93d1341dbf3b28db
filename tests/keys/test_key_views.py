"""The key pages with Django's test client on the real database, as three personas of the AWS example:
owner (KeyAdmin of 111122223333), trusted (Alice of 444455556666) and outsider (Eve of 777788889999),
plus an Auditor of the owner's account who may read keys but not change their policy."""

import copy
import json

import pytest
from django.test import Client

from audit.models import AuditEvent
from keys.models import Key, KeyPolicyVersion
from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, DEMO_SCENARIO, OWNER, TRUSTED

NEW_ACCOUNT = "777788889999"
KEY_URL = f"/keys/{DEMO_KEY_ID}/"
PASSWORDS = {"KeyAdmin": "demo-KeyAdmin-password-not-secret", "Alice": "demo-Alice-password-not-secret",
             "Eve": "demo-Eve-password-not-secret", "Auditor": "auditor-password-not-secret"}


@pytest.fixture
def personas(transactional_db, load_scenario):
    """The demo, with an Auditor in the owner's account who may describe, list and read policies only."""
    import yaml

    document = yaml.safe_load(DEMO_SCENARIO.read_text())
    owner = copy.deepcopy(document)
    owner["accounts"][0]["users"].append({
        "name": "Auditor",
        "console_password": PASSWORDS["Auditor"],
        "inline_policies": {"ReadKeys": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]}},
    })
    load_scenario(owner)
    return owner


def signed_in(account: str, user: str) -> Client:
    client = Client()
    response = client.post("/signin/", {"account": account, "username": user, "password": PASSWORDS[user]})
    assert response.status_code == 302, response.content[:500]
    return client


def policy_of_demo_key() -> dict:
    return json.loads(Key.objects.get(arn=DEMO_KEY_ARN).policy)


def statement(document: dict, sid: str) -> dict | None:
    return next((s for s in document["Statement"] if s.get("Sid") == sid), None)


# ---- the key list ----


def test_owner_sees_its_keys_with_alias_status_and_spec(personas):
    response = signed_in(OWNER, "KeyAdmin").get("/keys/")

    assert response.status_code == 200
    page = response.content.decode()
    assert DEMO_KEY_ID in page and "ExampleKey" in page
    assert "Enabled" in page and "SYMMETRIC_DEFAULT" in page and "ENCRYPT_DECRYPT" in page


@pytest.mark.parametrize("account, user", [(TRUSTED, "Alice"), (NEW_ACCOUNT, "Eve")])
def test_trusted_and_outsider_never_see_the_owners_key_in_their_list(personas, account, user):
    response = signed_in(account, user).get("/keys/")

    assert DEMO_KEY_ID not in response.content.decode()


def test_the_filter_matches_alias_or_key_id(personas):
    client = signed_in(OWNER, "KeyAdmin")

    assert DEMO_KEY_ID in client.get("/keys/?q=examplek").content.decode()
    assert DEMO_KEY_ID in client.get("/keys/?q=1234abcd", HTTP_HX_REQUEST="true").content.decode()
    assert DEMO_KEY_ID not in client.get("/keys/?q=nothing-like-it").content.decode()


def test_the_list_needs_a_signed_in_principal():
    response = Client().get("/keys/")
    assert response.status_code == 302 and "/signin/" in response["Location"]


# ---- the key page ----


def test_owner_sees_the_key_page_with_the_other_account_in_the_default_view(personas):
    response = signed_in(OWNER, "KeyAdmin").get(KEY_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert DEMO_KEY_ARN in page
    assert "Other AWS accounts" in page and f"arn:aws:iam::{TRUSTED}:root" in page
    assert "Example key shared with account 444455556666" in page


def test_trusted_account_cannot_open_the_owners_key_page_by_key_id(personas):
    response = signed_in(TRUSTED, "Alice").get(KEY_URL)

    # A bare key id means the caller's own account, where no such key exists.
    assert response.status_code == 404
    assert "NotFoundException" in response.content.decode()


def test_every_tab_renders_for_the_owner(personas):
    client = signed_in(OWNER, "KeyAdmin")
    for tab in ("policy", "crypto", "tags", "rotation", "aliases", "grants", "access"):
        response = client.get(f"{KEY_URL}tabs/{tab}/", HTTP_HX_REQUEST="true")
        assert response.status_code == 200, tab
    assert "Switch to default view" in client.get(f"{KEY_URL}tabs/policy/?view=json").content.decode()


# ---- Other AWS accounts ----


def test_adding_an_external_account_changes_only_the_key_policy_and_records_who(personas):
    before = policy_of_demo_key()
    versions = KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count()

    response = signed_in(OWNER, "KeyAdmin").post(f"{KEY_URL}policy/edit/",
                                                 {"change": "add-account", "account_id": NEW_ACCOUNT},
                                                 HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    after = policy_of_demo_key()
    for sid in ("Allow use of the key", "Allow attachment of persistent resources"):
        assert statement(after, sid)["Principal"] == {
            "AWS": [f"arn:aws:iam::{TRUSTED}:root", f"arn:aws:iam::{NEW_ACCOUNT}:root"]}
    untouched = [s for s in before["Statement"] if s["Sid"] not in (
        "Allow use of the key", "Allow attachment of persistent resources")]
    assert all(s in after["Statement"] for s in untouched)
    newest = KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).order_by("-version").first()
    assert KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count() == versions + 1
    assert newest.changed_by == f"arn:aws:iam::{OWNER}:user/KeyAdmin"
    assert f"arn:aws:iam::{NEW_ACCOUNT}:root" in response.content.decode()


def test_adding_an_account_already_there_saves_no_new_version(personas):
    versions = KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count()

    response = signed_in(OWNER, "KeyAdmin").post(f"{KEY_URL}policy/edit/",
                                                 {"change": "add-account", "account_id": TRUSTED},
                                                 HTTP_HX_REQUEST="true")

    assert f"Account {TRUSTED} is already listed." in response.content.decode()
    assert KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count() == versions


def test_removing_the_only_external_account_drops_the_key_user_statements(personas):
    client = signed_in(OWNER, "KeyAdmin")

    client.post(f"{KEY_URL}policy/edit/", {"change": "remove-account", "account_id": TRUSTED})

    after = policy_of_demo_key()
    assert [s["Sid"] for s in after["Statement"]] == ["Enable IAM User Permissions",
                                                      "Allow access for Key Administrators"]


@pytest.mark.parametrize("bad", ["12345", "4444555566667", "abcdabcdabcd", ""])
def test_a_bad_account_id_is_shown_by_the_field_and_changes_nothing(personas, bad):
    versions = KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count()
    before = Key.objects.get(arn=DEMO_KEY_ARN).policy

    response = signed_in(OWNER, "KeyAdmin").post(f"{KEY_URL}policy/edit/",
                                                 {"change": "add-account", "account_id": bad})

    assert response.status_code == 400
    assert 'id="account-id-error"' in response.content.decode()
    assert "12 digits" in response.content.decode()
    assert KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count() == versions
    assert Key.objects.get(arn=DEMO_KEY_ARN).policy == before


def test_a_principal_without_put_key_policy_gets_the_aws_message_and_nothing_changes(personas):
    before = Key.objects.get(arn=DEMO_KEY_ARN).policy

    response = signed_in(OWNER, "Auditor").post(f"{KEY_URL}policy/edit/",
                                                {"change": "add-account", "account_id": NEW_ACCOUNT},
                                                HTTP_HX_REQUEST="true")

    assert response.status_code == 200  # an htmx fragment with the message where the field is
    assert 'id="account-id-error"' in response.content.decode()
    assert (f"User: arn:aws:iam::{OWNER}:user/Auditor is not authorized to perform: kms:PutKeyPolicy on resource: "
            f"{DEMO_KEY_ARN} because no identity-based policy allows the kms:PutKeyPolicy action"
            ) in response.content.decode()
    assert Key.objects.get(arn=DEMO_KEY_ARN).policy == before
    denied = AuditEvent.objects.get(event_name="PutKeyPolicy", error_code="AccessDenied")
    assert denied.record["sessionCredentialFromConsole"] == "true"


def test_the_policy_view_refuses_an_invalid_policy_with_the_validators_message(personas):
    before = Key.objects.get(arn=DEMO_KEY_ARN).policy
    broken = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})

    response = signed_in(OWNER, "KeyAdmin").post(f"{KEY_URL}policy/save/", {"policy": broken})

    assert response.status_code == 400
    assert "Policy contains a statement with no principal." in response.content.decode()
    assert Key.objects.get(arn=DEMO_KEY_ARN).policy == before


def test_check_policy_lists_findings_with_their_json_path_before_saving(personas):
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"}]})
    versions = KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count()

    response = signed_in(OWNER, "KeyAdmin").post(f"{KEY_URL}policy/check/", {"policy": text},
                                                 HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert "SECURITY_WARNING" in page and "Statement[0].Principal" in page
    assert KeyPolicyVersion.objects.filter(key__arn=DEMO_KEY_ARN).count() == versions


def test_key_users_administrators_and_deletion_through_the_default_view(personas):
    client = signed_in(OWNER, "KeyAdmin")
    admin = f"arn:aws:iam::{OWNER}:user/KeyAdmin"
    auditor = f"arn:aws:iam::{OWNER}:user/Auditor"

    client.post(f"{KEY_URL}policy/edit/", {"change": "add-user", "user": auditor})
    assert auditor in statement(policy_of_demo_key(), "Allow use of the key")["Principal"]["AWS"]
    client.post(f"{KEY_URL}policy/edit/", {"change": "set-deletion"})  # checkbox unticked
    assert "kms:ScheduleKeyDeletion" not in statement(policy_of_demo_key(),
                                                      "Allow access for Key Administrators")["Action"]
    client.post(f"{KEY_URL}policy/edit/", {"change": "remove-user", "arn": auditor})
    assert auditor not in json.dumps(policy_of_demo_key())
    assert admin in json.dumps(policy_of_demo_key())


# ---- other page actions, all through the operations ----


def test_every_view_action_is_an_audited_console_call(personas):
    client = signed_in(OWNER, "KeyAdmin")
    AuditEvent.objects.all().delete()

    client.get("/keys/")
    client.get(KEY_URL)
    client.post(f"{KEY_URL}description/", {"description": "Shared with the key-user account"})
    client.post(f"{KEY_URL}tags/", {"tag_key": "Team", "tag_value": "payments"})
    client.post(f"{KEY_URL}tags/", {"remove": "Team"})
    client.post(f"{KEY_URL}rotation/", {"enabled": "on", "rotation_period_days": "180"})
    client.post(f"{KEY_URL}actions/disable/")
    client.post(f"{KEY_URL}actions/enable/")
    client.post(f"{KEY_URL}policy/edit/", {"change": "add-account", "account_id": NEW_ACCOUNT})

    names = set(AuditEvent.objects.values_list("event_name", flat=True))
    assert {"ListKeys", "ListAliases", "DescribeKey", "GetKeyPolicy", "UpdateKeyDescription", "TagResource",
            "UntagResource", "EnableKeyRotation", "DisableKey", "EnableKey", "PutKeyPolicy"} <= names
    kms_events = AuditEvent.objects.filter(event_source="kms.amazonaws.com")
    assert all(e.record.get("sessionCredentialFromConsole") == "true" for e in kms_events)
    key = Key.objects.get(arn=DEMO_KEY_ARN)
    assert key.description == "Shared with the key-user account"
    assert key.rotation_enabled and key.rotation_period_days == 180 and key.state == "Enabled"


def test_schedule_deletion_needs_the_confirmation_and_can_be_cancelled(personas):
    client = signed_in(OWNER, "KeyAdmin")

    unconfirmed = client.post(f"{KEY_URL}actions/schedule-deletion/", {"pending_window_days": "7"})
    assert unconfirmed.status_code == 400 and Key.objects.get(arn=DEMO_KEY_ARN).state == "Enabled"

    client.post(f"{KEY_URL}actions/schedule-deletion/", {"pending_window_days": "7", "confirm": "on"})
    assert Key.objects.get(arn=DEMO_KEY_ARN).state == "PendingDeletion"
    client.post(f"{KEY_URL}actions/cancel-deletion/")
    assert Key.objects.get(arn=DEMO_KEY_ARN).state == "Disabled"


# ---- access explainer ----


def test_the_explainer_says_what_the_other_account_must_still_allow(personas):
    response = signed_in(OWNER, "KeyAdmin").get(f"{KEY_URL}access/", {
        "principal_arn": f"arn:aws:iam::{TRUSTED}:role/ExampleRole", "action": "kms:Encrypt"})

    page = response.content.decode()
    assert "key-policy:Allow use of the key" in page
    assert f"Depends on account {TRUSTED}" in page
    assert f"The rest is decided by account {TRUSTED}&#x27;s IAM policies, which this account cannot read" in page


def test_the_explainer_evaluates_own_principals_with_their_real_iam_policies(personas):
    client = signed_in(OWNER, "KeyAdmin")

    admin = client.get(f"{KEY_URL}access/", {"principal": f"arn:aws:iam::{OWNER}:user/Auditor",
                                             "action": "kms:DescribeKey"}).content.decode()
    assert 'id="access-effect">Allow<' in admin
    assert "iam:user/Auditor/inline/ReadKeys" in admin and "key-policy:Enable IAM User Permissions" in admin

    denied = client.get(f"{KEY_URL}access/", {"principal": f"arn:aws:iam::{OWNER}:user/Auditor",
                                              "action": "kms:PutKeyPolicy"}).content.decode()
    assert 'id="access-effect">ImplicitDeny<' in denied


def test_the_explainer_names_a_denied_outsider(personas):
    page = signed_in(OWNER, "KeyAdmin").get(f"{KEY_URL}access/", {
        "principal_arn": f"arn:aws:iam::{NEW_ACCOUNT}:user/Eve", "action": "kms:Decrypt"}).content.decode()
    assert 'id="access-effect">ImplicitDeny<' in page
    assert f"No IAM policy in account {NEW_ACCOUNT} can change that" in page


# ---- use a key by ARN ----


def test_the_owner_encrypts_and_decrypts_by_arn_and_the_plaintext_is_not_kept(personas):
    client = signed_in(OWNER, "KeyAdmin")

    encrypted = client.post("/keys/use/", {"key_id": DEMO_KEY_ARN, "operation": "Encrypt",
                                           "text": "attack at dawn"}).content.decode()
    assert "attack at dawn" not in encrypted
    ciphertext = encrypted.split("Ciphertext (base64)</dt><dd class=\"kms-mono kms-break\">")[1].split("<")[0]

    decrypted = client.post("/keys/use/", {"key_id": DEMO_KEY_ARN, "operation": "Decrypt",
                                           "ciphertext": ciphertext}).content.decode()
    assert "attack at dawn" in decrypted
    records = json.dumps(list(AuditEvent.objects.values_list("record", flat=True)))
    assert "attack at dawn" not in records


def test_alice_herself_is_denied_by_her_own_iam_side_and_sees_why(personas):
    page = signed_in(TRUSTED, "Alice").post("/keys/use/", {"key_id": DEMO_KEY_ARN, "operation": "Encrypt",
                                                           "text": "hello"}).content.decode()

    assert "AccessDeniedException" in page
    assert f"User: arn:aws:iam::{TRUSTED}:user/Alice is not authorized to perform: kms:Encrypt" in page
    assert "no policy attached to user Alice allows kms:Encrypt" in page  # her own side, which she may see
    assert "Allow use of the key" not in page  # never the owner's key policy


def test_the_outsider_gets_the_generic_cross_account_message(personas):
    page = signed_in(NEW_ACCOUNT, "Eve").post("/keys/use/", {"key_id": DEMO_KEY_ARN, "operation": "Encrypt",
                                                             "text": "hello"}).content.decode()

    assert (f"User: arn:aws:iam::{NEW_ACCOUNT}:user/Eve is not authorized to perform: kms:Encrypt on this "
            "resource because the resource does not exist in this Region") in page
    assert "iam:user/Eve/inline/AllowAllKms" in page  # her own IAM side allows it: the key side refused
    assert "Allow use of the key" not in page
