"""Denial to fix with Django's test client on the real database: the caller's account applies the IAM half
(CreatePolicyVersion as default), an explicit deny is named, bad input is shown by its field, an outsider gets
nothing to read, and a change the reader may not make cannot be applied by posting its index."""

import json

from django.test import Client

from accounts.models import IamPolicy
from audit.models import AuditEvent
from keys.models import Key
from tests.conftest import DEMO_KEY_ARN, OUTSIDER, OWNER, TRUSTED

PASSWORDS = {"KeyAdmin": "demo-KeyAdmin-password-not-secret", "IamAdmin": "demo-IamAdmin-password-not-secret",
             "Eve": "demo-Eve-password-not-secret", "Alice": "demo-Alice-password-not-secret"}
EXAMPLE_ROLE = f"arn:aws:iam::{TRUSTED}:role/ExampleRole"


def signed_in(account: str, user: str) -> Client:
    client = Client()
    assert client.post("/signin/", {"account": account, "username": user,
                                    "password": PASSWORDS[user]}).status_code == 302
    return client


def question(principal, action, key=DEMO_KEY_ARN):
    return {"principal": principal, "action": action, "key": key}


def test_iam_admin_applies_the_iam_half_as_a_new_default_policy_version(demo):
    client = signed_in("key-user", "IamAdmin")
    page = client.get("/keys/fix/", question(EXAMPLE_ROLE, "kms:GetKeyRotationStatus")).content.decode()
    assert "CreatePolicyVersion" in page and "AllowUseOfKeyInAccount111122223333" in page
    response = client.post("/keys/fix/apply/", {**question(EXAMPLE_ROLE, "kms:GetKeyRotationStatus"), "change": "0"})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "Applied: CreatePolicyVersion" in response.content.decode()
    policy = IamPolicy.objects.get(account_id=TRUSTED, name="AllowUseOfKeyInAccount111122223333")
    document = json.loads(policy.default_version.document)
    added = document["Statement"][-1]
    assert added == {"Sid": "AllowGetKeyRotationStatusForExampleRole", "Effect": "Allow",
                     "Action": "kms:GetKeyRotationStatus", "Resource": DEMO_KEY_ARN}
    assert policy.default_version.version_id == "v2"
    # Recorded as IamAdmin's own call.
    assert AuditEvent.objects.filter(event_name="CreatePolicyVersion",
                                     principal_arn=f"arn:aws:iam::{TRUSTED}:user/IamAdmin").exists()


def test_a_change_the_reader_may_not_make_is_not_applied(demo):
    client = signed_in("key-user", "Alice")   # Alice may not change IAM policies
    before = Key.objects.get(arn=DEMO_KEY_ARN).policy
    response = client.post("/keys/fix/apply/", {**question(f"arn:aws:iam::{TRUSTED}:user/Alice", "kms:Encrypt"),
                                                "change": "0"})
    assert response.status_code == 400
    assert "not one you may apply" in response.content.decode()
    assert Key.objects.get(arn=DEMO_KEY_ARN).policy == before
    assert IamPolicy.objects.get(name="AllowUseOfKeyInAccount111122223333").default_version.version_id == "v1"


def test_an_explicit_deny_in_the_key_policy_is_named(demo):
    key = Key.objects.get(arn=DEMO_KEY_ARN)
    document = json.loads(key.policy)
    document["Statement"].append({"Sid": "NoDecryptForKeyAdmin", "Effect": "Deny",
                                  "Principal": {"AWS": f"arn:aws:iam::{OWNER}:user/KeyAdmin"},
                                  "Action": "kms:Decrypt", "Resource": "*"})
    key.policy = json.dumps(document)
    key.save()
    client = signed_in("key-owner", "KeyAdmin")
    page = client.get("/keys/fix/", question(f"arn:aws:iam::{OWNER}:user/KeyAdmin", "kms:Decrypt")).content.decode()
    assert 'data-status="explicit-deny"' in page
    assert "key-policy:NoDecryptForKeyAdmin" in page
    assert "Apply" not in page


def test_bad_input_is_shown_by_its_field(demo):
    client = signed_in("key-owner", "KeyAdmin")
    page = client.get("/keys/fix/", question("someone", "kms:Encrypt")).content.decode()
    assert 'id="fix-principal-error"' in page and "is not a principal ARN" in page
    page = client.get("/keys/fix/", question(EXAMPLE_ROLE, "Encrypt")).content.decode()
    assert 'id="fix-action-error"' in page


def test_an_outsider_reads_neither_side(demo):
    client = signed_in("outsider", "Eve")
    page = client.get("/keys/fix/", question(EXAMPLE_ROLE, "kms:Encrypt")).content.decode()
    assert "can read neither the key policy nor the caller" in page
    assert "AllowUseOfKeyInAccount111122223333" not in page


def test_a_record_that_is_not_a_kms_denial_has_nothing_to_fix(demo):
    client = signed_in("key-owner", "KeyAdmin")
    client.get("/keys/")   # the console's own, successful ListKeys
    record = AuditEvent.objects.filter(recipient_account=OWNER, event_name="ListKeys").first()
    response = client.get(f"/keys/fix/event/{record.event_id}/")
    assert response.status_code == 400
    assert "not a denied KMS request" in response.content.decode()


def test_another_accounts_record_cannot_be_read_through_the_fix_link(demo):
    signed_in("key-owner", "KeyAdmin").get("/keys/")
    record = AuditEvent.objects.filter(recipient_account=OWNER).first()
    response = signed_in("outsider", "Eve").get(f"/keys/fix/event/{record.event_id}/")
    assert response.status_code in (403, 404)
    assert str(record.event_id) not in response.content.decode().replace(f"/keys/fix/event/{record.event_id}/", "")


def test_a_denied_answer_on_the_access_tab_links_to_its_fix(demo):
    client = signed_in("key-owner", "KeyAdmin")
    key_id = DEMO_KEY_ARN.rsplit("/", 1)[1]
    denied = client.get(f"/keys/{key_id}/access/", {"principal_arn": f"arn:aws:iam::{OUTSIDER}:user/Eve",
                                                     "action": "kms:Encrypt"}).content.decode()
    assert 'data-testid="fix-link"' in denied
    assert "/keys/fix/?principal=arn%3Aaws%3Aiam%3A%3A777788889999%3Auser%2FEve&amp;action=kms%3AEncrypt" in denied
    allowed = client.get(f"/keys/{key_id}/access/", {"principal_arn": f"arn:aws:iam::{OWNER}:user/KeyAdmin",
                                                      "action": "kms:Encrypt"}).content.decode()
    assert 'data-testid="fix-link"' not in allowed
