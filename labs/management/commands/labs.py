"""python manage.py labs list | validate PATH | start LAB --seats N | check CLASS [SEAT] |
solve CLASS SEAT [STEP] | export CLASS | verify"""

from __future__ import annotations

from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from labs import service
from labs.format import LabError, read_lab
from labs.models import Classroom
from labs.solutions import SolutionFailed
from labs.verify import verify_lab


class Command(BaseCommand):
    help = "Training labs: list and check lab files, run classes, verify that every shipped lab is solvable."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="the shipped labs, in order of difficulty")
        validate = actions.add_parser("validate", help="check a lab file without creating anything")
        validate.add_argument("path")
        start = actions.add_parser("start", help="create a class of a lab")
        start.add_argument("lab")
        start.add_argument("--seats", type=int, default=1)
        check = actions.add_parser("check", help="run the current step's checks of every seat (or one)")
        check.add_argument("classroom")
        check.add_argument("seat", nargs="?", type=int)
        solve = actions.add_parser("solve", help="run a step's solution for a seat (its current step by default)")
        solve.add_argument("classroom")
        solve.add_argument("seat", type=int)
        solve.add_argument("step", nargs="?")
        export = actions.add_parser("export", help="the class's results as CSV on standard output")
        export.add_argument("classroom")
        verify = actions.add_parser("verify", help="every shipped lab: unsolved at the start, solved by its solution")
        verify.add_argument("lab", nargs="*", help="only these labs")
        verify.add_argument("--file", action="append", default=[], metavar="PATH",
                            help="verify this lab file instead (not shipped yet); may be repeated")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _list(self, **options):
        for lab in service.all_labs():
            self.stdout.write(f"{lab.id:32} {lab.minutes:3} min  {len(lab.steps)} steps  {lab.title}")

    def _validate(self, path, **options):
        try:
            lab = read_lab(path)
        except LabError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{path}: lab {lab.id} is valid ({len(lab.steps)} steps)")

    def _start(self, lab, seats, **options):
        try:
            classroom = service.create_class(lab, seats)
        except (LookupError, ValueError) as error:
            raise CommandError(error.args[0] if error.args else str(error)) from None
        self.stdout.write(f"class {classroom.id}: {classroom.title}, {seats} seat(s)")
        for card in service.seat_cards(classroom):
            accounts = ", ".join(f"{name} {account_id}" for name, account_id in card["accounts"].items())
            self.stdout.write(f"  seat {card['number']}: {accounts}")

    def _check(self, classroom, seat=None, **options):
        room = _classroom(classroom)
        for one in _seats(room, seat):
            view = service.seat_view(one)
            step = view["current_step"]
            if step is None:
                self.stdout.write(f"seat {one.number}: every step passed")
                continue
            result = service.check_step(one, step)
            self.stdout.write(f"seat {one.number} step {step}: {'PASSED' if result.passed else 'not yet'}")
            for check in result.checks:
                line = f"  [{'x' if check.passed else ' '}] {check.message}"
                if check.explanation:
                    line += f"\n      {check.explanation}"
                self.stdout.write(line)

    def _solve(self, classroom, seat, step=None, **options):
        room = _classroom(classroom)
        one = _seats(room, seat)[0]
        try:
            result = service.solve_step(one, step)
        except (SolutionFailed, LookupError) as error:
            raise CommandError(error.args[0] if error.args else str(error)) from None
        self.stdout.write(f"seat {one.number} step {result.step_id}: {'PASSED' if result.passed else 'not passed'}")

    def _export(self, classroom, **options):
        self.stdout.write(service.export_csv(_classroom(classroom)), ending="")

    def _verify(self, lab=(), file=(), **options):
        if file:
            try:
                labs = [read_lab(path) for path in file]
            except LabError as error:
                raise CommandError(str(error)) from None
        else:
            labs = [one for one in service.all_labs() if not lab or one.id in lab]
            unknown = set(lab) - {one.id for one in labs}
            if unknown:
                raise CommandError(f"no lab {', '.join(sorted(unknown))}")
        failed = []
        for one in labs:
            with service.trial_lab(one) if file else nullcontext():
                problems = verify_lab(one)
            if problems:
                failed.append(one.id)
                self.stdout.write(f"FAIL {one.id} ({one.source})")
                for problem in problems:
                    self.stdout.write(f"  {problem}")
            else:
                steps = f"{len(one.steps)} step{'s' if len(one.steps) != 1 else ''}"
                self.stdout.write(f"ok   {one.id}: {steps} unsolved at the start, solved by their solutions")
        if failed:
            raise CommandError(f"{len(failed)} lab(s) failed: {', '.join(failed)}")


def _classroom(reference: str) -> Classroom:
    try:
        matches = list(Classroom.objects.filter(id=reference)) if len(reference) == 36 else []
    except ValidationError:
        matches = []
    if not matches and len(reference) >= 4:
        matches = [room for room in Classroom.objects.all() if str(room.id).startswith(reference)]
    if len(matches) != 1:
        raise CommandError(f"no class {reference!r}" if not matches else f"{reference!r} names several classes")
    return matches[0]


def _seats(classroom: Classroom, number: int | None):
    seats = list(classroom.seats.order_by("number"))
    if number is None:
        return seats
    chosen = [seat for seat in seats if seat.number == number]
    if not chosen:
        raise CommandError(f"class {classroom.id} has no seat {number}")
    return chosen
