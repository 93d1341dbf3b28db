"""The console's Event history: own account only, filters, detail, JSON Lines, a key's recent activity."""

import json

from django.test import Client

from audit.models import AuditEvent
from tests.audit.conftest import BOB_KEY
from tests.conftest import DEMO_KEY_ARN, OWNER, TRUSTED


def signed_in(account, username, password) -> Client:
    client = Client()
    response = client.post("/signin/", {"account": account, "username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


def key_admin_console():
    return signed_in("key-owner", "KeyAdmin", "demo-KeyAdmin-password-not-secret")


def test_owner_sees_the_foreign_encrypt_standing_out_and_viewing_is_itself_recorded(trail, aws):
    aws("kms", BOB_KEY).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"audit-plaintext-marker: console page")
    console = key_admin_console()

    page = console.get("/events/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Other account 444455556666" in html
    assert "Encrypt" in html
    assert "audit-plaintext-marker" not in html

    viewing = AuditEvent.objects.filter(recipient_account=OWNER, event_name="LookupEvents").latest("event_time")
    assert viewing.record["sessionCredentialFromConsole"] == "true"
    assert viewing.record["userIdentity"]["userName"] == "KeyAdmin"

    filtered = console.get("/events/", {"event_name": "Encrypt", "errors": "1"}).content.decode()
    assert "No events match these filters." in filtered

    fragment = console.get("/events/key-activity/", {"key": DEMO_KEY_ARN}).content.decode()
    assert 'data-testid="foreign-use"' in fragment and "Account 444455556666" in fragment

    encrypt = AuditEvent.objects.get(recipient_account=OWNER, event_name="Encrypt")
    detail = console.get(f"/events/{encrypt.event_id}/")
    assert detail.status_code == 200
    assert "AWSAccount" in detail.content.decode()

    # The caller's copy lives in the other account: not visible from here.
    callers_copy = AuditEvent.objects.get(recipient_account=TRUSTED, event_name="Encrypt")
    assert console.get(f"/events/{callers_copy.event_id}/").status_code == 404


def test_download_streams_the_filtered_records_as_json_lines(trail, aws):
    aws("kms", BOB_KEY).encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"audit-plaintext-marker: download")
    response = key_admin_console().get("/events/download/", {"event_name": "Encrypt"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    records = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [(r["eventName"], r["recipientAccountId"]) for r in records] == [("Encrypt", OWNER)]


def test_a_user_without_lookup_events_permission_is_refused_and_recorded(trail):
    alice = signed_in("key-user", "Alice", "demo-Alice-password-not-secret")
    page = alice.get("/events/")
    assert page.status_code == 403
    assert "cloudtrail:LookupEvents" in page.content.decode()
    denial = AuditEvent.objects.get(recipient_account=TRUSTED, event_name="LookupEvents")
    assert denial.record["errorCode"] == "AccessDenied"
    assert denial.record["sessionCredentialFromConsole"] == "true"


def test_signed_out_visitors_go_to_sign_in(trail):
    response = Client().get("/events/")
    assert response.status_code == 302 and "/signin/" in response["Location"]
