""""Who can use this key" benchmark on PostgreSQL (issue 12, "Speed").

1,000 principals in 10 accounts (each: the root, 59 users, 40 roles; every user and role with an inline policy,
every user in a group with a managed policy, every role with a managed policy), one key whose policy trusts five
of the accounts. Measured: `who_can_use(key, operator=True)` (every principal × the key's 8 actions through the
engine) and the console's tab as an operator, signed in; each with its number of SQL queries (the same whatever
the number of principals: asserted by measuring a 100-principal world first) and the median and p95 server time.
Target: at most 500 ms for the operator view.

    python bench/bench_who_can_use.py      # database kms_bench_who_can_use on 127.0.0.1:5432, re-created
    BENCH_WHO_DATABASE_URL=postgres://... python bench/bench_who_can_use.py
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATABASE_URL = os.environ.get("BENCH_WHO_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kms_bench_who_can_use")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")

ACCOUNTS = [f"{100000000000 + i * 111111111:012d}" for i in range(10)]
OWNER = ACCOUNTS[0]
KEY_ID = "0b0b0b0b-1111-4222-8333-444444444444"
KEY_ARN = f"arn:aws:kms:us-west-2:{OWNER}:key/{KEY_ID}"
ROOT_PASSWORD = "bench-root-password-not-secret"
OPERATOR_PASSWORD = "bench-operator-password-not-secret"
SAMPLES = 15
TARGET_MS = 500


def recreate_database():
    from bench_api import recreate_database as recreate  # one implementation for every benchmark

    recreate(DATABASE_URL)


def _allow(actions, resource):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions,
                                                               "Resource": resource}]})


def key_policy(trusted: list[str]) -> str:
    statements = [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "kms:*", "Resource": "*"},
                  {"Sid": "Allow use of the key", "Effect": "Allow",
                   "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in trusted]},
                   "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                              "kms:DescribeKey"], "Resource": "*"}]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def populate(accounts: list[str], users: int, roles: int) -> None:
    """Bulk rows (bulk_create skips the signals, so the state token is moved once at the end)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import (Account, IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyVersion)
    from keys.models import Key
    from kmsconsole import statecache

    use = _allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], KEY_ARN)
    describe = _allow("kms:DescribeKey", "*")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": "sts:AssumeRole"}]})
    with transaction.atomic():
        for account_id in accounts:
            account = Account(id=account_id, email=f"root-{account_id}@example.com")
            account.set_root_password(ROOT_PASSWORD)
            account.save()
            policy = IamPolicy.objects.create(account=account, name="UseTheSharedKey")
            policy.default_version = PolicyVersion.objects.create(policy=policy, version_id="v1", document=use)
            policy.save(update_fields=["default_version"])
            group = IamGroup.objects.create(account=account, name="KeyUsers")
            group.managed_policies.add(policy)
            made_users = IamUser.objects.bulk_create([IamUser(account=account, name=f"user-{i:03d}")
                                                      for i in range(users)])
            made_roles = IamRole.objects.bulk_create([IamRole(account=account, name=f"role-{i:03d}", trust_policy=trust)
                                                      for i in range(roles)])
            InlinePolicy.objects.bulk_create([InlinePolicy(user=u, name="Describe", document=describe)
                                              for u in made_users] +
                                             [InlinePolicy(role=r, name="Describe", document=describe)
                                              for r in made_roles])
            IamUser.groups.through.objects.bulk_create([IamUser.groups.through(iamuser_id=u.pk, iamgroup_id=group.pk)
                                                        for u in made_users])
            IamRole.managed_policies.through.objects.bulk_create([
                IamRole.managed_policies.through(iamrole_id=r.pk, iampolicy_id=policy.pk) for r in made_roles])
        Key.objects.create(account_id=OWNER, region="us-west-2", key_id=KEY_ID, arn=KEY_ARN, created_at=timezone.now(),
                           policy=key_policy(accounts[1:6]))
        statecache.bump()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(label: str, run) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()
    counts, times = [], []
    for _ in range(SAMPLES):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            run()
            times.append((time.perf_counter() - began) * 1000)
        counts.append(len(queries))
    median, p95 = statistics.median(times), sorted(times)[int(0.95 * len(times)) - 1]
    fixed = "fixed" if len(set(counts)) == 1 else f"VARIES {sorted(set(counts))}"
    print(f"  {label:<52} {counts[0]:>3} queries ({fixed})  median {median:6.1f} ms  p95 {p95:6.1f} ms")
    return median, p95, counts[0] if len(set(counts)) == 1 else -1


def run_grid():
    from keys.models import Key
    from keys.who_can_use import who_can_use

    return who_can_use(Key.objects.get(arn=KEY_ARN), operator=True)


def operator_console():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    assert client.post("/signin/root/", {"email": f"root-{OWNER}@example.com",
                                         "password": ROOT_PASSWORD}).status_code == 302
    user = get_user_model().objects.filter(username="operator").first() or get_user_model().objects.create_user(
        "operator", password=OPERATOR_PASSWORD, is_staff=True)
    client.force_login(user)   # after the console sign-in, which starts a new session
    return client


def main() -> int:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    checks = []
    # A small world first: its query count must be the large world's.
    populate(ACCOUNTS, users=5, roles=4)
    grid = run_grid()
    print(f"small world: {len(grid.rows)} principals × {len(grid.actions)} actions")
    _, _, small_queries = measure("who_can_use(operator) small", run_grid)

    from django.db import connections

    connections.close_all()
    recreate_database()
    call_command("migrate", verbosity=0)
    print("populating 1,000 principals in 10 accounts (bulk inserts)...", flush=True)
    populate(ACCOUNTS, users=59, roles=40)
    grid = run_grid()
    print(f"large world: {len(grid.rows)} principals × {len(grid.actions)} actions = "
          f"{len(grid.rows) * len(grid.actions)} decisions")
    _, p95, large_queries = measure("who_can_use(operator) 1,000 principals", run_grid)
    checks.append((f"who_can_use, 1,000 principals: p95 {p95:.1f} ms (target <= {TARGET_MS} ms)", p95 <= TARGET_MS))
    checks.append((f"who_can_use queries: {small_queries} for 100 principals, {large_queries} for 1,000 (fixed)",
                   small_queries == large_queries and large_queries > 0))

    client = operator_console()

    def tab():
        response = client.get(f"/keys/{KEY_ID}/tabs/who_can_use/", HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and b"Operator view" in response.content, response.status_code

    def csv_download():
        response = client.get(f"/keys/{KEY_ID}/who-can-use.csv")
        assert response.status_code == 200 and response.content.count(b"\n") > 8000

    _, tab_p95, tab_queries = measure("console tab (operator, htmx), 1,000 principals", tab)
    _, csv_p95, csv_queries = measure("CSV download (operator), 1,000 principals", csv_download)
    checks.append((f"console tab: p95 {tab_p95:.1f} ms (target <= {TARGET_MS} ms), queries fixed",
                   tab_p95 <= TARGET_MS and tab_queries >= 0))
    checks.append((f"CSV download: p95 {csv_p95:.1f} ms (target <= {TARGET_MS} ms), queries fixed",
                   csv_p95 <= TARGET_MS and csv_queries >= 0))
    print()
    for text, ok in checks:
        print(("PASS " if ok else "MISS ") + text)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
