"""IAM benchmark on PostgreSQL (issue 10, "Speed").

(a) List pages with 10,000 users, 10,000 roles and 5,000 customer managed policies in one account: ListUsers,
    ListRoles, ListPolicies (Local and All) over the wire (SigV4-signed Query requests through the whole Django
    stack, in process), first page and a page deep in the list; the console's IAM list pages, signed in. Each
    page: the number of SQL queries (the same for every page, whatever the account holds) and the median and
    p95 server time. Target: at most 150 ms per page.
(b) GetAccountAuthorizationDetails of an account with 1,000 users, 1,000 roles and 1,000 policies, every page
    (MaxItems 1000). Target: at most 1 s for the whole account.

    python bench/bench_iam.py        # database kms_bench_iam on 127.0.0.1:5432, re-created each run
    BENCH_IAM_DATABASE_URL=postgres://... python bench/bench_iam.py

The Encrypt cost of a principal with many policies is measured side by side with a plain one in
bench/bench_api.py (row "policies").
"""

import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATABASE_URL = os.environ.get("BENCH_IAM_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kms_bench_iam")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")

BIG, DETAILS = "111111111111", "222222222222"
ROOT_KEYS = {BIG: ("AKIABENCHBIGROOT0001", "bench-big-root-secret-not-secret-000001"),
             DETAILS: ("AKIABENCHDETAILSROOT", "bench-details-root-secret-not-secret-01")}
ROOT_PASSWORD = "bench-root-password-not-secret"
SAMPLES = 25
PAGE_TARGET_MS = 150
DETAILS_TARGET_S = 1.0
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
     "Resource": "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BIG}:root"}, "Action": "sts:AssumeRole"}]})


def recreate_database():
    from bench_api import recreate_database as recreate  # one implementation for every benchmark

    recreate(DATABASE_URL)


def populate(account_id: str, users: int, roles: int, policies: int) -> None:
    """Bulk rows (bulk_create skips the signals, so the state token is moved once at the end)."""
    from django.db import transaction

    from accounts.models import AccessKey, Account, IamPolicy, IamRole, IamUser, PolicyVersion
    from kmsconsole import statecache

    with transaction.atomic():
        account = Account(id=account_id, email=f"root-{account_id}@example.com")
        account.set_root_password(ROOT_PASSWORD)
        account.save()
        key = AccessKey(access_key_id=ROOT_KEYS[account_id][0], account=account)
        key.secret_access_key = ROOT_KEYS[account_id][1]
        key.save()
        IamUser.objects.bulk_create([IamUser(account=account, name=f"user-{i:05d}") for i in range(users)],
                                    batch_size=2000)
        IamRole.objects.bulk_create([IamRole(account=account, name=f"role-{i:05d}", trust_policy=TRUST)
                                     for i in range(roles)], batch_size=2000)
        made = IamPolicy.objects.bulk_create([IamPolicy(account=account, name=f"policy-{i:05d}")
                                              for i in range(policies)], batch_size=2000)
        versions = PolicyVersion.objects.bulk_create([PolicyVersion(policy=p, version_id="v1", document=POLICY)
                                                      for p in made], batch_size=2000)
        for policy, version in zip(made, versions):
            policy.default_version = version
        IamPolicy.objects.bulk_update(made, ["default_version"], batch_size=2000)
        # Some attachments, so that AttachmentCount and the details have something to count.
        users_attached = list(IamUser.objects.filter(account=account)[:min(users, 1000)])
        through = IamUser.managed_policies.through
        through.objects.bulk_create([through(iamuser_id=u.pk, iampolicy_id=made[i % len(made)].pk)
                                     for i, u in enumerate(users_attached)], batch_size=2000)
        statecache.bump()
    # What autovacuum does after bulk inserts like these: without statistics the planner guesses each account
    # holds a handful of rows and picks plans that scan all of them per policy.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def signed_query(client, account_id: str, params: dict):
    """POST / as the account's root user: a SigV4-signed IAM Query request, answered in process."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = urllib.parse.urlencode({**params, "Version": "2010-05-08"})
    request = AWSRequest(method="POST", url="http://127.0.0.1/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(*ROOT_KEYS[account_id]), "iam", "us-east-1").add_auth(request)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()
               if k.lower() not in ("content-type", "host")}
    response = client.post("/", data=body, content_type=request.headers["Content-Type"], HTTP_HOST="127.0.0.1",
                           **headers)
    assert response.status_code == 200, response.content[:500]
    return response


def marker_of(response) -> str | None:
    import re

    found = re.search(rb"<Marker>([^<]+)</Marker>", response.content)
    return found.group(1).decode() if found else None


def measure(label: str, run) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()  # warm: caches, the first connection
    counts, times = [], []
    for _ in range(SAMPLES):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            run()
            times.append((time.perf_counter() - began) * 1000)
        counts.append(len(queries))
    median, p95 = statistics.median(times), sorted(times)[int(0.95 * len(times)) - 1]
    fixed = "fixed" if len(set(counts)) == 1 else f"VARIES {sorted(set(counts))}"
    print(f"  {label:<44} {counts[0]:>3} queries ({fixed})  median {median:6.1f} ms  p95 {p95:6.1f} ms")
    return median, p95, counts[0] if len(set(counts)) == 1 else -1


def bench_list_pages() -> list[tuple[str, bool]]:
    from django.test import Client

    api = Client(HTTP_HOST="127.0.0.1")
    print(f"(a) list pages: account {BIG} with 10,000 users, 10,000 roles, 5,000 policies; {SAMPLES} samples each")
    results = {}
    for operation, extra in (("ListUsers", {}), ("ListRoles", {}), ("ListPolicies", {"Scope": "Local"}),
                             ("ListPolicies", {"Scope": "All"})):
        params = {"Action": operation, "MaxItems": "100", **extra}
        first = signed_query(api, BIG, params)
        label = f"{operation} {extra.get('Scope', '')}".strip()
        results[f"{label} page 1"] = measure(f"{label} page 1", lambda p=params: signed_query(api, BIG, p))
        deep = {**params, "Marker": marker_of(first)}
        for _ in range(40):  # walk 40 pages in, then time that page
            deep["Marker"] = marker_of(signed_query(api, BIG, deep)) or deep["Marker"]
        results[f"{label} page 41"] = measure(f"{label} page 41", lambda p=dict(deep): signed_query(api, BIG, p))

    console = Client(HTTP_HOST="127.0.0.1")
    signed_in = console.post("/signin/root/", {"email": f"root-{BIG}@example.com", "password": ROOT_PASSWORD})
    assert signed_in.status_code in (200, 302), signed_in.status_code
    for path in ("/iam/users/", "/iam/roles/", "/iam/policies/", "/iam/groups/"):
        def page(path=path):
            response = console.get(path)
            assert response.status_code == 200, (path, response.status_code)
        results[f"console {path}"] = measure(f"console {path}", page)

    checks = []
    for label, (median, p95, count) in results.items():
        checks.append((f"{label}: p95 {p95:.1f} ms (target <= {PAGE_TARGET_MS} ms), queries fixed",
                       p95 <= PAGE_TARGET_MS and count >= 0))
    return checks


def bench_authorization_details() -> list[tuple[str, bool]]:
    from django.test import Client

    api = Client(HTTP_HOST="127.0.0.1")
    print(f"(b) GetAccountAuthorizationDetails: account {DETAILS} with 1,000 users, roles and policies")

    def all_pages():
        params = {"Action": "GetAccountAuthorizationDetails", "MaxItems": "1000"}
        pages = 0
        while True:
            response = signed_query(api, DETAILS, params)
            pages += 1
            marker = marker_of(response)
            if not marker or b"<IsTruncated>true</IsTruncated>" not in response.content:
                return pages
            params["Marker"] = marker

    print(f"  pages per full read: {all_pages()}")
    times = []
    for _ in range(5):
        began = time.perf_counter()
        all_pages()
        times.append(time.perf_counter() - began)
    worst = max(times)
    print(f"  whole account: median {statistics.median(times) * 1000:.0f} ms, worst {worst * 1000:.0f} ms")
    return [(f"GetAccountAuthorizationDetails, 1,000 of each: worst {worst:.2f} s (target <= {DETAILS_TARGET_S} s)",
             worst <= DETAILS_TARGET_S)]


def main() -> int:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print("populating (bulk inserts)...", flush=True)
    populate(BIG, 10_000, 10_000, 5_000)
    populate(DETAILS, 1_000, 1_000, 1_000)
    checks = bench_list_pages() + bench_authorization_details()
    print()
    for text, ok in checks:
        print(("PASS " if ok else "MISS ") + text)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
