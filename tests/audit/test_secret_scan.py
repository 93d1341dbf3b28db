"""The session-wide secret scan (tests/audit/secret_scan.py) knows the secrets the tests use and spots a leak."""

import base64
import datetime as dt
import uuid

from django.utils import timezone

from audit.models import AuditEvent
from tests.audit import secret_scan
from tests.audit.conftest import BOB_KEY


def test_the_scan_knows_scenario_secrets_and_spots_one_planted_in_a_record(trail):
    assert BOB_KEY[1] in secret_scan.known_secrets()
    assert "trail-test-Bob-password-0001" in secret_scan.known_secrets()
    since = timezone.now() - dt.timedelta(seconds=1)
    planted = AuditEvent.objects.create(
        event_id=uuid.uuid4(), recipient_account="444455556666", region="us-west-2", event_time=timezone.now(),
        event_source="kms.amazonaws.com", event_name="Planted", read_only=True, request_id="planted",
        record={"requestParameters": {"blob": base64.b64encode(BOB_KEY[1].encode()).decode()}},
    )
    try:
        assert [name for name, _ in secret_scan.leaked_secrets(since)] == ["Planted"]
    finally:
        planted.delete()
    assert secret_scan.leaked_secrets(since) == []
