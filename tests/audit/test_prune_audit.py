"""prune_audit keeps the retention period's records and deletes the older ones, in batches."""

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent


def add_event(days_ago: float):
    AuditEvent.objects.create(
        event_id=uuid.uuid4(), recipient_account="111122223333", region="us-west-2",
        event_time=timezone.now() - dt.timedelta(days=days_ago), event_source="kms.amazonaws.com",
        event_name="Encrypt", read_only=True, request_id=str(uuid.uuid4()), record={},
    )


def prune(*args) -> str:
    out = io.StringIO()
    call_command("prune_audit", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_records_past_retention_are_deleted_in_batches_and_recent_ones_kept(settings):
    settings.KMSCONSOLE_AUDIT_RETENTION_DAYS = 90
    for days in (1, 89, 91, 120, 400):
        add_event(days)
    assert "would delete 3" in prune("--dry-run")
    assert AuditEvent.objects.count() == 5
    assert "deleted 3" in prune("--batch-size", "2")
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_days_option_overrides_the_setting():
    for days in (1, 10, 40):
        add_event(days)
    assert "deleted 2" in prune("--days", "7")
    assert AuditEvent.objects.count() == 1
