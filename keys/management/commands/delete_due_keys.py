"""Delete the keys whose deletion waiting period is over, as KMS does at the end of the window.

Access already treats such a key as gone (keys.resolve.purge_if_due); this command clears them in bulk,
with their material, aliases, tags and grants. Run it from cron or by hand.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from keys.models import Key


class Command(BaseCommand):
    help = "Delete KMS keys that are past their scheduled deletion date."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list the keys without deleting them")

    def handle(self, *args, dry_run=False, **options):
        with transaction.atomic():
            due = Key.objects.select_for_update().filter(state="PendingDeletion",
                                                         deletion_date__lte=timezone.now())
            arns = list(due.values_list("arn", flat=True))
            if not dry_run:
                due.delete()
        verb = "would delete" if dry_run else "deleted"
        for arn in arns:
            self.stdout.write(f"{verb} {arn}")
        self.stdout.write(f"{verb} {len(arns)} key(s) past their deletion date")
