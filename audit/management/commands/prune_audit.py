"""Delete audit records older than the retention period (settings.KMSCONSOLE_AUDIT_RETENTION_DAYS, default 90).

    python manage.py prune_audit [--days N] [--batch-size N] [--dry-run]

Deletes in batches of primary keys, each in its own short transaction, so that a large backlog never
holds long locks or one huge transaction against the writers of new records.
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent


class Command(BaseCommand):
    help = "Delete audit records older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="keep this many days instead of the setting")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, days=None, batch_size=5000, dry_run=False, **options):
        days = days if days is not None else getattr(settings, "KMSCONSOLE_AUDIT_RETENTION_DAYS", 90)
        if days < 1:
            raise CommandError("--days must be at least 1")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        cutoff = timezone.now() - dt.timedelta(days=days)
        expired = AuditEvent.objects.filter(event_time__lt=cutoff)
        if dry_run:
            self.stdout.write(f"would delete {expired.count()} audit records older than {cutoff:%Y-%m-%dT%H:%M:%SZ}")
            return
        deleted = 0
        while True:
            with transaction.atomic():
                batch = list(expired.order_by("event_time").values_list("pk", flat=True)[:batch_size])
                if not batch:
                    break
                deleted += AuditEvent.objects.filter(pk__in=batch).delete()[0]
        self.stdout.write(f"deleted {deleted} audit records older than {cutoff:%Y-%m-%dT%H:%M:%SZ}")
