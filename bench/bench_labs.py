"""Labs core benchmark on PostgreSQL (issue 13, "Speed").

(a) A class of 200 seats of lab 1 (labs/01-share-key.yaml: two accounts, two users with passwords and
    access keys, a key, a role and its policies per seat) created by labs.service.create_class, in one
    transaction. Target: at most 30 s.
(b) "Check my work" (labs.service.check_step) of one seat of that class, in process, on the first step of
    lab 1 (two key policy checks, two engine decisions) and on the CLI step of lab 2 (two trail look-ups).
    Target: at most 200 ms (p95 of 25 runs).

    python bench/bench_labs.py          # database kms_bench_labs on 127.0.0.1:5432, re-created each run
    BENCH_LABS_DATABASE_URL=postgres://... python bench/bench_labs.py

Exit status 1 when a target is missed.
"""

import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATABASE_URL = os.environ.get("BENCH_LABS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kms_bench_labs")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")

SEATS = 200
SAMPLES = 25
CREATE_TARGET_S = 30
CHECK_TARGET_MS = 200


def recreate_database():
    from bench_api import recreate_database as recreate  # one implementation for every benchmark

    recreate(DATABASE_URL)


def timed_checks(seat, step_id: str) -> list[float]:
    from kmsconsole import statecache
    from labs import service

    times = []
    for _ in range(SAMPLES):
        with statecache.request_scope():  # as a console request would run it
            started = time.perf_counter()
            service.check_step(seat, step_id)
            times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> int:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from labs import service

    service.all_labs()  # read and check the lab files once, as a server process does at its first request
    started = time.perf_counter()
    classroom = service.create_class("share-key", SEATS)
    create_s = time.perf_counter() - started
    seat = classroom.seats.get(number=SEATS // 2)
    first_step = timed_checks(seat, "use-statement")

    cli_class = service.create_class("other-account-half", 1)
    cli_seat = cli_class.seats.get()
    service.solve_step(cli_seat, "iam-policy")
    service.solve_step(cli_seat, "use-with-cli")
    call_step = timed_checks(cli_seat, "use-with-cli")

    ok = True
    print(f"(a) class of {SEATS} seats created in {create_s:.1f} s "
          f"({create_s / SEATS * 1000:.0f} ms per seat; target <= {CREATE_TARGET_S} s)")
    ok &= create_s <= CREATE_TARGET_S
    for label, times in (("lab 1 step 1 (policy + decision checks)", first_step),
                         ("lab 2 step 2 (call checks on the trail)", call_step)):
        print(f"(b) Check my work, {label}: p50 {statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms "
              f"(target <= {CHECK_TARGET_MS} ms)")
        ok &= p95(times) <= CHECK_TARGET_MS
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
