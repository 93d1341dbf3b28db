"""python manage.py load_scenario PATH [--replace]"""

from django.core.management.base import BaseCommand, CommandError

from kmsconsole.scenario import load_scenario
from kmsconsole.scenario_document import ScenarioError


class Command(BaseCommand):
    help = (
        "Create or update the accounts, IAM identities, policies and keys a scenario file (YAML or JSON) declares. "
        "All or nothing: a bad file is refused with the entry and the problem, and the database is left as it was. "
        "Loading the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="scenario file (.yaml, .yml or .json)")
        parser.add_argument(
            "--replace", action="store_true", help="first remove the accounts the file names, with everything in them"
        )

    def handle(self, *args, path, replace, **options):
        try:
            loading = load_scenario(path, replace=replace)
        except ScenarioError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(loading.summary())
