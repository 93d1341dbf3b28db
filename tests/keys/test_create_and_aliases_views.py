"""The create-key wizard and the alias pages with Django's test client on the real database, as the demo's
key administrator (KeyAdmin of 111122223333), a NoAliases user of that account who may create keys but not
aliases, an Auditor who may only read, and the outsider Eve of 777788889999."""

import copy
import json
import re

import pytest
import yaml
from django.test import Client

from audit.models import AuditEvent
from keys import crypto
from keys.models import Alias, Key
from tests.conftest import DEMO_KEY_ID, DEMO_SCENARIO, OWNER, TRUSTED

OUTSIDER = "777788889999"
KEY_ADMIN = f"arn:aws:iam::{OWNER}:user/KeyAdmin"
PASSWORDS = {"KeyAdmin": "demo-KeyAdmin-password-not-secret", "Eve": "demo-Eve-password-not-secret",
             "Auditor": "auditor-password-not-secret", "NoAliases": "no-aliases-password-not-secret"}
# Signing specs added to the catalogue after the classic ones (Ed25519, ML-DSA), when this build has them.
SIGNING_ONLY_SPECS = [name for name in crypto.KEY_SPECS if name.startswith(("ECC_NIST_EDWARDS", "ML_DSA_"))]
# Every step's answers for a symmetric key, as the wizard's hidden fields carry them to Finish.
ANSWERS = {"key_type": "SYMMETRIC", "key_usage": "ENCRYPT_DECRYPT", "key_spec": "SYMMETRIC_DEFAULT",
           "origin": "AWS_KMS", "alias": "payments", "description": "Payments", "tags": "Team=payments",
           "administrators": [KEY_ADMIN], "allow_admin_deletion": "on", "users": [],
           "other_account": [TRUSTED], "seen_configure": "1", "seen_labels": "1", "seen_administrators": "1",
           "seen_usage": "1"}


def _user(name: str, actions: list[str]) -> dict:
    return {"name": name, "console_password": PASSWORDS[name], "inline_policies": {"Policy": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}}}


@pytest.fixture
def world(transactional_db, load_scenario):
    document = copy.deepcopy(yaml.safe_load(DEMO_SCENARIO.read_text()))
    document["accounts"][0]["users"] += [
        _user("Auditor", ["kms:Describe*", "kms:Get*", "kms:List*"]),
        _user("NoAliases", ["kms:CreateKey", "kms:PutKeyPolicy", "kms:Describe*", "kms:Get*", "kms:List*",
                                "kms:TagResource"]),
    ]
    load_scenario(document)
    return document


def signed_in(account: str, user: str) -> Client:
    client = Client()
    response = client.post("/signin/", {"account": account, "username": user, "password": PASSWORDS[user]})
    assert response.status_code == 302, response.content[:500]
    return client


def step(client: Client, target: str, **changes):
    return client.post("/keys/create/", {**ANSWERS, **changes, "step": target}, HTTP_HX_REQUEST="true")


def offered_specs(response) -> list[str]:
    return re.findall(r'name="key_spec" value="([A-Z0-9_]+)"', response.content.decode())


def shown_step(response) -> str:
    return re.search(r'<h1 id="step-title">([^<]+)</h1>', response.content.decode()).group(1)


# ---- step 1: key specs filtered by type and usage ----


def test_a_new_key_starts_as_symmetric_encrypt_decrypt_with_only_symmetric_default(world):
    response = signed_in(OWNER, "KeyAdmin").get("/keys/create/")

    assert shown_step(response) == "Configure key"
    assert offered_specs(response) == ["SYMMETRIC_DEFAULT"]


@pytest.mark.parametrize("key_type, usage, specs", [
    ("SYMMETRIC", "GENERATE_VERIFY_MAC", ["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"]),
    ("ASYMMETRIC", "ENCRYPT_DECRYPT", ["RSA_2048", "RSA_3072", "RSA_4096"]),
    ("ASYMMETRIC", "SIGN_VERIFY", ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384",
                                   "ECC_NIST_P521", "ECC_SECG_P256K1"] + SIGNING_ONLY_SPECS),
    ("ASYMMETRIC", "KEY_AGREEMENT", ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"]),
])
def test_the_spec_list_follows_type_and_usage(world, key_type, usage, specs):
    response = step(signed_in(OWNER, "KeyAdmin"), "configure", key_type=key_type, key_usage=usage)

    assert offered_specs(response) == specs


def test_switching_to_asymmetric_drops_a_usage_it_does_not_have(world):
    response = step(signed_in(OWNER, "KeyAdmin"), "configure", key_type="ASYMMETRIC",
                    key_usage="GENERATE_VERIFY_MAC", key_spec="HMAC_256")

    page = response.content.decode()
    assert 'value="GENERATE_VERIFY_MAC"' not in page
    assert re.search(r'name="key_usage" value="ENCRYPT_DECRYPT" checked', page)
    assert offered_specs(response) == ["RSA_2048", "RSA_3072", "RSA_4096"]


def test_next_refuses_a_spec_of_another_usage_by_the_spec_list(world):
    response = step(signed_in(OWNER, "KeyAdmin"), "labels", key_type="ASYMMETRIC", key_usage="KEY_AGREEMENT",
                    key_spec="RSA_2048")

    assert shown_step(response) == "Configure key"
    assert "RSA_2048 is not a asymmetric key spec for key agreement" in response.content.decode()


@pytest.mark.skipif(not SIGNING_ONLY_SPECS, reason="this build's catalogue has no ML-DSA or Ed25519 spec")
def test_external_origin_is_refused_for_a_spec_aws_does_not_import(world):
    spec = SIGNING_ONLY_SPECS[-1]

    response = step(signed_in(OWNER, "KeyAdmin"), "labels", key_type="ASYMMETRIC", key_usage="SIGN_VERIFY",
                    key_spec=spec, origin="EXTERNAL")

    assert shown_step(response) == "Configure key"
    assert f"AWS KMS cannot import key material for {spec} keys." in response.content.decode()


# ---- each step validated before the next ----


@pytest.mark.parametrize("alias, message", [
    ("", "Enter an alias name."),
    ("aws/mine", "reserved for AWS managed keys"),
    ("bad name", "may contain only letters"),
    ("ExampleKey", "An alias with the name alias/ExampleKey already exists"),
])
def test_the_labels_step_refuses_a_bad_or_taken_alias(world, alias, message):
    response = step(signed_in(OWNER, "KeyAdmin"), "administrators", alias=alias)

    assert shown_step(response) == "Add labels"
    assert message in response.content.decode()


def test_the_labels_step_refuses_a_reserved_tag_key(world):
    response = step(signed_in(OWNER, "KeyAdmin"), "administrators", tags="aws:team=x")

    assert shown_step(response) == "Add labels"
    assert "reserved for AWS" in response.content.decode()


@pytest.mark.parametrize("account, message", [
    ("4444", "4444 is not an AWS account id"),
    (OWNER, "is this key&#x27;s own account: it needs no entry here"),
    ("123456789012", "Account 123456789012 does not exist in this installation"),
])
def test_the_usage_step_says_why_an_account_is_not_added(world, account, message):
    response = step(signed_in(OWNER, "KeyAdmin"), "review", other_account=[account])

    assert shown_step(response) == "Define key usage permissions"
    assert message in response.content.decode()


def test_the_usage_step_refuses_the_same_account_twice(world):
    response = step(signed_in(OWNER, "KeyAdmin"), "review", other_account=[TRUSTED, TRUSTED])

    assert f"Account {TRUSTED} is already in the list." in response.content.decode()


def test_an_administrator_must_be_a_principal_of_the_account(world):
    response = step(signed_in(OWNER, "KeyAdmin"), "usage",
                    administrators=[f"arn:aws:iam::{TRUSTED}:role/ExampleRole"])

    assert shown_step(response) == "Define key administrative permissions"
    assert "is not a user or role of this account" in response.content.decode()


def test_back_shows_the_earlier_step_with_its_answers_and_without_validating(world):
    response = step(signed_in(OWNER, "KeyAdmin"), "labels", alias="", seen_usage="1")

    assert shown_step(response) == "Add labels"
    page = response.content.decode()
    assert "Enter an alias name." not in page
    assert 'name="other_account" value="444455556666"' in page  # a later step's answer, carried


# ---- review and finish ----


def test_review_shows_the_console_policy_and_nothing_is_created_before_finish(world):
    keys = Key.objects.count()

    response = step(signed_in(OWNER, "KeyAdmin"), "review")

    policy = re.search(r'<textarea name="policy"[^>]*>\n?(.*?)</textarea>', response.content.decode(), re.S).group(1)
    document = json.loads(policy.replace("&quot;", '"'))
    assert document["Id"] == "key-consolepolicy-3"
    use = next(s for s in document["Statement"] if s["Sid"] == "Allow use of the key")
    assert use["Principal"] == {"AWS": f"arn:aws:iam::{TRUSTED}:root"}
    assert Key.objects.count() == keys


def test_finish_creates_the_key_with_the_edited_policy_alias_and_tags_as_the_signed_in_principal(world):
    client = signed_in(OWNER, "KeyAdmin")
    edited = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Edited in the review", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:root"},
         "Action": "kms:Decrypt", "Resource": "*"}]}, indent=2)

    response = step(client, "finish", policy=edited, policy_base="{}")

    key = Key.objects.get(aliases__name="alias/payments")
    assert response["HX-Redirect"] == f"/keys/{key.key_id}/"
    assert json.loads(key.policy) == json.loads(edited)
    assert key.description == "Payments"
    assert list(key.tags.values_list("tag_key", "tag_value")) == [("Team", "payments")]
    calls = AuditEvent.objects.filter(principal_arn=KEY_ADMIN, event_name__in=["CreateKey", "CreateAlias"],
                                      error_code="")
    assert sorted(calls.values_list("event_name", flat=True)) == ["CreateAlias", "CreateKey"]
    assert "was created" in client.get(response["HX-Redirect"]).content.decode()


def test_a_policy_kms_refuses_is_shown_by_the_editor_and_nothing_is_created(world):
    keys = Key.objects.count()

    response = step(signed_in(OWNER, "KeyAdmin"), "finish", policy='{"Version": "2012-10-17", "Statement": [',
                    policy_base="")

    assert shown_step(response) == "Review"
    assert "MalformedPolicyDocument" in response.content.decode() or "policy" in response.content.decode()
    assert re.search(r'id="id_policy-error"', response.content.decode())
    assert Key.objects.count() == keys


def test_a_principal_without_create_key_gets_the_aws_message_on_the_review(world):
    response = step(signed_in(OWNER, "Auditor"), "finish", policy="{}", policy_base="", administrators=[])

    assert shown_step(response) == "Review"
    assert "is not authorized to perform: kms:CreateKey" in response.content.decode()


def test_a_refused_create_alias_after_create_key_is_said_on_the_new_keys_page(world):
    client = signed_in(OWNER, "NoAliases")
    review = step(client, "review", administrators=[])
    policy = re.search(r'<textarea name="policy"[^>]*>\n?(.*?)</textarea>', review.content.decode(), re.S).group(1)

    response = step(client, "finish", administrators=[], policy=policy.replace("&quot;", '"'), policy_base="")

    assert "HX-Redirect" in response, re.findall(r'role="alert">([^<]*)<', response.content.decode())
    key = Key.objects.get(arn__endswith=response["HX-Redirect"].split("/")[2])
    assert not key.aliases.exists()
    page = client.get(response["HX-Redirect"]).content.decode()
    assert f"The key {key.key_id} was created, but its alias alias/payments was not" in page
    assert "is not authorized to perform: kms:CreateAlias" in page


# ---- the Aliases page ----


def another_key(key_spec: str = "SYMMETRIC_DEFAULT", key_usage: str = "ENCRYPT_DECRYPT") -> str:
    """A second key of the owner (set-up only: the operations under test are the alias ones)."""
    from accounts.models import Account
    from keys.store import console_key_policy, create_key

    key = create_key(account=Account.objects.get(id=OWNER), region="us-west-2", key_spec=key_spec,
                     key_usage=key_usage, description="", changed_by=KEY_ADMIN,
                     policy_text=console_key_policy(OWNER, [KEY_ADMIN], [], []))
    return key.key_id


def test_the_aliases_page_lists_the_accounts_aliases_with_their_keys(world):
    page = signed_in(OWNER, "KeyAdmin").get("/keys/aliases/").content.decode()

    assert "alias/ExampleKey" in page and f'href="/keys/{DEMO_KEY_ID}/"' in page


def test_the_outsider_never_sees_the_owners_aliases(world):
    page = signed_in(OUTSIDER, "Eve").get("/keys/aliases/").content.decode()

    assert "alias/ExampleKey" not in page and DEMO_KEY_ID not in page


def test_create_retarget_and_delete_an_alias(world):
    client = signed_in(OWNER, "KeyAdmin")
    second = Key.objects.get(key_id=another_key())

    created = client.post("/keys/aliases/create/", {"alias_name": "orders", "target_key_id": DEMO_KEY_ID},
                          HTTP_HX_REQUEST="true")
    assert "Alias alias/orders now points to key" in created.content.decode()
    assert Alias.objects.get(name="alias/orders").key.key_id == DEMO_KEY_ID

    client.post("/keys/aliases/update/", {"alias_name": "alias/orders", "target_key_id": second.key_id})
    assert Alias.objects.get(name="alias/orders").key == second

    client.post("/keys/aliases/delete/", {"alias_name": "alias/orders"})
    assert not Alias.objects.filter(name="alias/orders").exists()
    assert set(AuditEvent.objects.filter(principal_arn=KEY_ADMIN, error_code="", event_name__in=[
        "CreateAlias", "UpdateAlias", "DeleteAlias"]).values_list("event_name", flat=True)) == {
        "CreateAlias", "UpdateAlias", "DeleteAlias"}


@pytest.mark.parametrize("alias, target, field, message", [
    ("ExampleKey", DEMO_KEY_ID, "create-alias-name", "An alias with the name"),
    ("bad name", DEMO_KEY_ID, "create-alias-name", "alias"),
    ("fresh", "00000000-0000-0000-0000-000000000000", "create-alias-target", "does not exist"),
    ("fresh", "", "create-alias-target", "Choose the key the alias points to."),
])
def test_a_refused_create_alias_is_shown_by_its_field_and_changes_nothing(world, alias, target, field, message):
    aliases = list(Alias.objects.values_list("name", flat=True))

    response = signed_in(OWNER, "KeyAdmin").post("/keys/aliases/create/",
                                                 {"alias_name": alias, "target_key_id": target})

    assert response.status_code == 400
    error = re.search(rf'id="{field}-error"[^>]*>([^<]*)<', response.content.decode())
    assert error and message in error.group(1), response.content.decode()[:3000]
    assert list(Alias.objects.values_list("name", flat=True)) == aliases


def test_retargeting_to_a_key_of_another_usage_is_refused_by_the_row(world):
    other = another_key("HMAC_256", "GENERATE_VERIFY_MAC")

    response = signed_in(OWNER, "KeyAdmin").post("/keys/aliases/update/", {
        "alias_name": "alias/ExampleKey", "target_key_id": other}, HTTP_HX_REQUEST="true")

    assert "not the same key type and key usage" in response.content.decode()
    assert Alias.objects.get(name="alias/ExampleKey").key.key_id == DEMO_KEY_ID


def test_an_auditor_cannot_delete_an_alias(world):
    response = signed_in(OWNER, "Auditor").post("/keys/aliases/delete/", {"alias_name": "alias/ExampleKey"})

    assert "is not authorized to perform: kms:DeleteAlias" in response.content.decode()
    assert Alias.objects.filter(name="alias/ExampleKey").exists()


# ---- the key page's Aliases tab ----


def test_the_key_tab_adds_and_deletes_an_alias_of_this_key(world):
    client = signed_in(OWNER, "KeyAdmin")

    added = client.post(f"/keys/{DEMO_KEY_ID}/aliases/add/", {"alias_name": "ledger"}, HTTP_HX_REQUEST="true")
    assert "Alias alias/ledger added." in added.content.decode()
    assert Alias.objects.get(name="alias/ledger").key.key_id == DEMO_KEY_ID

    client.post(f"/keys/{DEMO_KEY_ID}/aliases/delete/", {"alias_name": "alias/ledger"}, HTTP_HX_REQUEST="true")
    assert not Alias.objects.filter(name="alias/ledger").exists()


def test_the_key_tab_shows_a_taken_alias_by_its_field(world):
    response = signed_in(OWNER, "KeyAdmin").post(f"/keys/{DEMO_KEY_ID}/aliases/add/",
                                                 {"alias_name": "ExampleKey"}, HTTP_HX_REQUEST="true")

    error = re.search(r'id="new-alias-name-error"[^>]*>([^<]*)<', response.content.decode())
    assert error and "already exists" in error.group(1)


def test_the_key_tab_deletes_only_this_keys_aliases(world):
    client = signed_in(OWNER, "KeyAdmin")
    other = another_key("HMAC_256", "GENERATE_VERIFY_MAC")
    client.post("/keys/aliases/create/", {"alias_name": "mac", "target_key_id": other})

    response = client.post(f"/keys/{DEMO_KEY_ID}/aliases/delete/", {"alias_name": "alias/mac"},
                           HTTP_HX_REQUEST="true")

    assert "alias/mac is not an alias of this key." in response.content.decode()
    assert Alias.objects.filter(name="alias/mac").exists()
