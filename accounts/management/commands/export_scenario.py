"""python manage.py export_scenario [ACCOUNT_ID ...] [--include-secrets]"""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from kmsconsole.scenario import export_scenario


class Command(BaseCommand):
    help = (
        "Print the accounts (all, or those named) as a scenario file that load_scenario reads back. "
        "Access key ids are listed without their secrets unless --include-secrets is given. "
        "Root and console passwords are never exported, not even with --include-secrets: only their hashes are "
        "stored, so they cannot be recovered; add root_password / console_password to the file by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument("account_ids", nargs="*", metavar="ACCOUNT_ID", help="12-digit account ids (default: all)")
        parser.add_argument(
            "--include-secrets",
            action="store_true",
            help="also print each access key's secret_access_key (the output is then a secret itself)",
        )

    def handle(self, *args, account_ids, include_secrets, **options):
        missing = sorted(set(account_ids) - set(Account.objects.filter(id__in=account_ids).values_list("id", flat=True)))
        if missing:
            raise CommandError(f"no such account: {', '.join(missing)}")
        self.stdout.write(export_scenario(account_ids or None, include_secrets=include_secrets), ending="")
