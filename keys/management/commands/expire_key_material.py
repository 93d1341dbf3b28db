"""Delete imported key material whose ValidTo has passed, as KMS does when it expires.

Access already does this lazily (keys.key_material_expiry.expire_on_access); this command does it for every
key at once, so that the keys go to PendingImport and the DeleteExpiredKeyMaterial records are written on
time even for keys nobody uses. Run it from cron or by hand.
"""

from django.core.management.base import BaseCommand

from keys.key_material_expiry import expire_all_due


class Command(BaseCommand):
    help = "Delete expired imported key material (keys go to PendingImport) and record it in CloudTrail."

    def handle(self, *args, **options):
        count = expire_all_due()
        self.stdout.write(f"expired the imported key material of {count} key(s)")
