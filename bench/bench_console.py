"""Console pages at scale (issue 12, "Speed"): server time and query count of the keys list, a key's page and
Event history, through the whole Django stack (test client: middleware, session, views, templates).

    python bench/bench_console.py          # database kms_bench_console on 127.0.0.1:5432, created if missing
    BENCH_CONSOLE_DATABASE_URL=postgres://... python bench/bench_console.py

Data, generated once with SQL (generate_series) and kept for later runs: 10,000 keys and 200 aliases in
111122223333 us-west-2, the demo key's policy grown to 50 statements, 1,000,000 CloudTrail records.
Targets: at most 150 ms median server time per page, and a fixed number of queries per page, whatever
the data: each page is measured on two inputs of different size (asserted equal) and must stay within
its ceiling. The exit status says whether every target was met.
"""

import hashlib
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATABASE_URL = os.environ.get("BENCH_CONSOLE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kms_bench_console")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")

OWNER, REGION = "111122223333", "us-west-2"
DEMO_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEYS, ALIASES, POLICY_STATEMENTS = 10_000, 200, 50
RECORDS = int(os.environ.get("BENCH_CONSOLE_RECORDS", "1000000"))
SAMPLES = int(os.environ.get("BENCH_CONSOLE_SAMPLES", "20"))
TARGET_MS = 150


def ensure_database():
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from keys.models import Key

    if not Key.objects.filter(account_id=OWNER, key_id=DEMO_KEY_ID).exists():
        call_command("load_scenario", str(REPO / "scenarios" / "demo.yaml"), stdout=open(os.devnull, "w"))


def _copy_rows(cursor, model, source_where: str, overrides: dict[str, str], series: str) -> None:
    """INSERT ... SELECT: one row per number of `series` (as g), copied from the source row, some columns computed."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.name != "id"]
    columns = [f.column for f in fields]
    values = [overrides.get(column, f"src.{column}") for column in columns]
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
                   f"SELECT {', '.join(values)} FROM {model._meta.db_table} src, {series} AS g WHERE {source_where}")


def generate_keys():
    from django.db import connection, transaction

    from keys.models import Alias, Key, KeyMaterial

    if Key.objects.filter(account_id=OWNER, region=REGION).count() >= KEYS:
        return
    demo = Key.objects.get(account_id=OWNER, key_id=DEMO_KEY_ID)
    key_uuid = "md5('bench-key-' || g)::uuid::text"
    arn_prefix = f"arn:aws:kms:{REGION}:{OWNER}:key/"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_rows(cursor, Key, f"src.id = {demo.id}", {
            "key_id": key_uuid, "arn": f"'{arn_prefix}' || {key_uuid}",
            "description": "'Benchmark key ' || g", "created_at": "src.created_at + g * interval '1 second'",
        }, f"generate_series(1, {KEYS - 1})")
        # The same (sealed) material for each: no page reads it, but a key has one.
        _copy_rows(cursor, KeyMaterial, f"src.key_id = {demo.id} AND src.version = 1", {
            "key_id": f"(SELECT id FROM {Key._meta.db_table} WHERE arn = '{arn_prefix}' || {key_uuid})",
            "material_id": "md5('bench-material-' || g) || md5('bench-material-2-' || g)",
        }, f"generate_series(1, {KEYS - 1})")
        existing = Alias.objects.filter(account_id=OWNER, region=REGION).count()
        _copy_rows(cursor, Alias, f"src.account_id = '{OWNER}' AND src.region = '{REGION}' AND src.name = 'alias/ExampleKey'", {
            "name": "'alias/bench-' || lpad(g::text, 4, '0')",
            "key_id": f"(SELECT id FROM {Key._meta.db_table} WHERE arn = '{arn_prefix}' || {key_uuid})",
        }, f"generate_series(1, {ALIASES - existing})")
        cursor.execute("ANALYZE")
    print(f"  generated {KEYS - 1} keys and {ALIASES - existing} aliases in {time.perf_counter() - started:.1f} s")


def grow_demo_policy(principal):
    """PutKeyPolicy through the operation, as KeyAdmin: the demo key's statements plus conditions up to 50."""
    from awsapi.dispatch import Call, execute
    from keys.models import Key

    demo = Key.objects.get(account_id=OWNER, key_id=DEMO_KEY_ID)
    document = json.loads(demo.policy)
    if len(document["Statement"]) >= POLICY_STATEMENTS:
        return
    for i in range(POLICY_STATEMENTS - len(document["Statement"])):
        document["Statement"].append({
            "Sid": f"BenchDepartment{i:02d}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
            "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:Department": f"department-{i:02d}"}},
        })
    execute(Call(principal=principal, region=REGION, service="kms", operation="PutKeyPolicy",
                 params={"KeyId": DEMO_KEY_ID, "PolicyName": "default", "Policy": json.dumps(document)}))


def generate_records():
    """RECORDS CloudTrail records over 89 days, 50 users, 200 keys, 5% errors; one SQL statement."""
    from django.db import connection

    from audit.models import AuditEvent

    have = AuditEvent.objects.filter(recipient_account=OWNER, region=REGION, request_id__startswith="bench-").count()
    if have >= RECORDS:
        return
    started = time.perf_counter()
    names = "(ARRAY['Encrypt','Decrypt','GenerateDataKey','DescribeKey','ReEncrypt','CreateGrant','ListGrants'," \
            "'UpdateKeyDescription','PutKeyPolicy','TagResource','GetKeyPolicy','ListAliases'])"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH rows AS (
              SELECT g, md5('bench-event-' || g)::uuid AS event_id,
                     now() - (g::float / {RECORDS} * 89) * interval '1 day' AS event_time,
                     {names}[1 + g % 12] AS event_name,
                     'user' || lpad((g % 50)::text, 3, '0') AS username,
                     'arn:aws:kms:{REGION}:{OWNER}:key/' || md5('bench-key-' || (1 + g % 200))::uuid AS key_arn,
                     CASE WHEN g % 20 = 0 THEN 'AccessDenied' ELSE '' END AS error_code
              FROM generate_series({have + 1}, {RECORDS}) AS g)
            INSERT INTO audit_auditevent (event_id, recipient_account, region, event_time, event_source, event_name,
              read_only, principal_arn, caller_account, username, access_key_id, resource_type, resource_arn,
              error_code, request_id, shared_event_id, record)
            SELECT event_id, '{OWNER}', '{REGION}', event_time, 'kms.amazonaws.com', event_name,
                   event_name NOT IN ('CreateGrant','UpdateKeyDescription','PutKeyPolicy','TagResource'),
                   'arn:aws:iam::{OWNER}:user/' || username, '{OWNER}', username,
                   'AKIABENCH' || lpad((g % 60)::text, 11, '0'), 'AWS::KMS::Key', key_arn, error_code,
                   'bench-' || g, NULL,
                   jsonb_build_object('eventVersion', '1.11', 'eventTime', to_char(event_time, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                     'eventSource', 'kms.amazonaws.com', 'eventName', event_name, 'awsRegion', '{REGION}',
                     'userIdentity', jsonb_build_object('type', 'IAMUser', 'principalId', 'AIDABENCH',
                        'arn', 'arn:aws:iam::{OWNER}:user/' || username, 'accountId', '{OWNER}', 'userName', username),
                     'sourceIPAddress', '127.0.0.1', 'userAgent', 'bench', 'requestID', 'bench-' || g,
                     'eventID', event_id::text, 'readOnly', true, 'eventType', 'AwsApiCall',
                     'resources', jsonb_build_array(jsonb_build_object('accountId', '{OWNER}', 'type', 'AWS::KMS::Key', 'ARN', key_arn)),
                     'recipientAccountId', '{OWNER}', 'errorCode', nullif(error_code, ''))
            FROM rows""")
        cursor.execute("ANALYZE audit_auditevent")
    print(f"  generated {RECORDS - have} CloudTrail records in {time.perf_counter() - started:.1f} s")


def signed_in_client():
    from django.test import Client

    client = Client(HTTP_HOST="localhost")  # an allowed host (settings.ALLOWED_HOSTS), as a browser would send
    response = client.post("/signin/", {"account": "key-owner", "username": "KeyAdmin",
                                        "password": "demo-KeyAdmin-password-not-secret"})
    assert response.status_code == 302, response.status_code
    return client


def measure(client, url: str) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries) of GET url; the first requests warm caches and are not counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))], len(queries)


def main():
    ensure_database()
    setup_django()
    from accounts.models import IamUser
    from accounts.principals import Principal
    from keys.models import Key

    print(f"database {DATABASE_URL.rsplit('@', 1)[-1]}")
    generate_keys()
    key_admin = IamUser.objects.select_related("account").get(account_id=OWNER, name="KeyAdmin")
    grow_demo_policy(Principal.for_user(key_admin, "AKIADEMOKEYADMIN0001"))
    generate_records()
    plain_key = Key.objects.filter(account_id=OWNER, region=REGION, aliases__isnull=True).exclude(
        key_id=DEMO_KEY_ID).values_list("key_id", flat=True).first()
    busy_key_arn = f"arn:aws:kms:{REGION}:{OWNER}:key/{uuid.UUID(hashlib.md5(b'bench-key-1').hexdigest())}"
    demo_key_arn = f"arn:aws:kms:{REGION}:{OWNER}:key/{DEMO_KEY_ID}"
    print(f"  {Key.objects.filter(account_id=OWNER, region=REGION).count()} keys, demo key policy of "
          f"{len(json.loads(Key.objects.get(account_id=OWNER, key_id=DEMO_KEY_ID).policy)['Statement'])} statements")

    from keys import views
    from keys.operations.common import encode_marker

    client = signed_in_client()
    # (page, [two inputs of different size], query ceiling)
    pages = [
        ("Keys list", ["/keys/", f"/keys/?marker={encode_marker(views.LIST_PAGE_SIZE * 40)}"], 40),
        ("Key page", [f"/keys/{DEMO_KEY_ID}/", f"/keys/{plain_key}/"], 40),
        ("Key page, policy tab", [f"/keys/{DEMO_KEY_ID}/?tab=policy", f"/keys/{plain_key}/?tab=policy"], 40),
        ("Event history", ["/events/", "/events/?user=user007"], 15),
        ("Event history, errors of one key", [f"/events/?resource={busy_key_arn}&errors=1", "/events/?errors=1"], 15),
        ("Recent activity (key page panel)", [f"/events/key-activity/?key={busy_key_arn}",
                                              f"/events/key-activity/?key={demo_key_arn}"], 15),
        ("Recent activity, all", [f"/events/key-activity/?key={busy_key_arn}&show=all",
                                  f"/events/key-activity/?key={demo_key_arn}&show=all"], 15),
    ]
    met = True
    print(f"  server time over {SAMPLES} requests (Django test client), target median <= {TARGET_MS} ms:")
    for label, urls, ceiling in pages:
        results = [measure(client, url) for url in urls]
        counts = {r[2] for r in results}
        fixed = len(counts) == 1 and max(counts) <= ceiling
        fast = all(r[0] <= TARGET_MS for r in results)
        met = met and fixed and fast
        for url, (median, p95, queries) in zip(urls, results):
            print(f"    {label:<34} {url[:60]:<60} median {median:7.1f} ms  p95 {p95:7.1f} ms  {queries:3d} queries")
        print(f"    {'':<34} -> {'OK' if fixed and fast else 'MISSED'}"
              f" (queries {'fixed' if len(counts) == 1 else 'vary: ' + str(sorted(counts))}, ceiling {ceiling})")
    # A search reads every key of the Region (ListKeys pages of 1,000), so it grows with the keys: shown, not held
    # to the per-page targets.
    median, p95, queries = measure(client, "/keys/?q=bench-01")
    print(f"    {'Keys list, search (all keys)':<34} {'/keys/?q=bench-01':<60} median {median:7.1f} ms  p95 "
          f"{p95:7.1f} ms  {queries:3d} queries  (informational)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
