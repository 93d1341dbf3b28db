"""Audit trail benchmark on PostgreSQL (issue 5).

(a) the median extra cost of writing a call's records: the same Encrypt through awsapi.dispatch.execute,
    alternately with audit.trail.record_call and with a no-op writer, in one run;
(b) LookupEvents over 1,000,000 records of one account: p95 latency of audit.lookup.find_events (the
    query behind the LookupEvents operation and the console) for each attribute filter.

    python bench/bench_audit.py            # database kms_bench_audit on 127.0.0.1:5432, created if missing
    BENCH_AUDIT_DATABASE_URL=postgres://... python bench/bench_audit.py

The 1,000,000 records are generated once with COPY (about a minute) and kept for later runs.
"""

import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATABASE_URL = os.environ.get("BENCH_AUDIT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kms_bench_audit")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")

ACCOUNT, REGION = "111122223333", "us-west-2"
ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "1000000"))
WRITE_SAMPLES = 400
LOOKUP_SAMPLES = 100


def ensure_database():
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_scenario", str(REPO / "scenarios" / "demo.yaml"), stdout=open(os.devnull, "w"))


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# --------------------------------------------------------------------------------------------------
# (a) write cost
# --------------------------------------------------------------------------------------------------


def bench_write_cost():
    import audit.trail
    from accounts.models import IamUser
    from accounts.principals import Principal
    from awsapi.dispatch import Call, execute
    from kmsconsole import statecache

    user = IamUser.objects.select_related("account").get(account_id=ACCOUNT, name="KeyAdmin")
    real_writer = audit.trail.record_call

    def no_op_writer(call, spec, *, error):
        return []

    def one_encrypt() -> float:
        call = Call(principal=Principal.for_user(user, "AKIADEMOKEYADMIN0001"), region=REGION, service="kms",
                    operation="Encrypt", params={"KeyId": "alias/ExampleKey", "Plaintext": b"bench plaintext",
                                                 "EncryptionContext": {"Department": "Engineering"}})
        started = time.perf_counter()
        with statecache.request_scope():  # as a request does: one token read, cached authorisation data
            execute(call)
        return (time.perf_counter() - started) * 1000

    for _ in range(50):  # warm caches and the connection
        one_encrypt()
    with_records, without_records = [], []
    for i in range(WRITE_SAMPLES * 2):
        writing = i % 2 == 0
        audit.trail.record_call = real_writer if writing else no_op_writer
        (with_records if writing else without_records).append(one_encrypt())
    audit.trail.record_call = real_writer
    median_with, median_without = statistics.median(with_records), statistics.median(without_records)
    print(f"(a) Encrypt via dispatch.execute, {WRITE_SAMPLES} calls each, interleaved:")
    print(f"    median with records {median_with:.3f} ms, with a no-op writer {median_without:.3f} ms, "
          f"extra {median_with - median_without:.3f} ms (target <= 1 ms)")


# --------------------------------------------------------------------------------------------------
# (b) LookupEvents over a large trail
# --------------------------------------------------------------------------------------------------

EVENT_NAMES = ["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey", "ReEncrypt", "CreateGrant", "ListGrants",
               "UpdateKeyDescription", "PutKeyPolicy", "TagResource", "EnableKey", "DisableKey", "CreateKey",
               "LookupEvents", "ListAliases"]
USERS = [f"user{i:03d}" for i in range(50)]
KEYS = [f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.UUID(int=i + 1)}" for i in range(200)]
ACCESS_KEYS = [f"AKIABENCH{i:011d}" for i in range(60)]


def generate_trail():
    import datetime as dt
    import json

    from django.db import connection

    from audit.models import AuditEvent

    existing = AuditEvent.objects.filter(recipient_account=ACCOUNT, region=REGION, event_name__in=EVENT_NAMES,
                                         username__startswith="user").count()
    if existing >= ROWS:
        return existing
    AuditEvent.objects.filter(username__startswith="user").delete()
    rng = random.Random(5)
    now = dt.datetime.now(dt.timezone.utc)
    columns = ("event_id, recipient_account, region, event_time, event_source, event_name, read_only, principal_arn, "
               "caller_account, username, access_key_id, resource_type, resource_arn, error_code, request_id, "
               "shared_event_id, record")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
            for i in range(ROWS):
                name = rng.choice(EVENT_NAMES)
                user = rng.choice(USERS)
                key = rng.choice(KEYS)
                source = "cloudtrail.amazonaws.com" if name == "LookupEvents" else "kms.amazonaws.com"
                when = now - dt.timedelta(seconds=rng.uniform(0, 89 * 86400))
                event_id, request_id = uuid.uuid4(), str(uuid.uuid4())
                read_only = name not in ("CreateGrant", "UpdateKeyDescription", "PutKeyPolicy", "TagResource",
                                         "EnableKey", "DisableKey", "CreateKey")
                access_key = rng.choice(ACCESS_KEYS)
                error = "AccessDenied" if rng.random() < 0.05 else ""
                resources = [] if name == "LookupEvents" else [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key}]
                record = {
                    "eventVersion": "1.11", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "eventSource": source, "eventName": name, "awsRegion": REGION,
                    "userIdentity": {"type": "IAMUser", "principalId": "AIDABENCH", "userName": user,
                                     "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "accountId": ACCOUNT,
                                     "accessKeyId": access_key},
                    "sourceIPAddress": "127.0.0.1", "userAgent": "Boto3/1.44.8 bench",
                    "requestParameters": {"keyId": key, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                    "responseElements": None, "requestID": request_id, "eventID": str(event_id),
                    "readOnly": read_only, "resources": resources, "eventType": "AwsApiCall",
                    "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management",
                }
                copy.write_row((
                    event_id, ACCOUNT, REGION, when, source, name, read_only, f"arn:aws:iam::{ACCOUNT}:user/{user}",
                    ACCOUNT, user, access_key, "AWS::KMS::Key" if resources else "", key if resources else "",
                    error, request_id, None, json.dumps(record),
                ))
        cursor.execute("ANALYZE audit_auditevent")
    print(f"    generated {ROWS} records with COPY in {time.perf_counter() - started:.0f} s")
    return ROWS


def bench_lookup():
    import datetime as dt

    from audit.lookup import EventQuery, find_events
    from audit.models import AuditEvent

    print(f"(b) LookupEvents (audit.lookup.find_events, MaxResults 50) over one account's trail:")
    count = generate_trail()
    print(f"    {count} records in account {ACCOUNT} {REGION}")
    rng = random.Random(7)
    some_ids = [str(i) for i in AuditEvent.objects.filter(recipient_account=ACCOUNT).values_list("event_id", flat=True)[:500]]
    filters = {
        "(none)": lambda: [],
        "EventId": lambda: [("EventId", rng.choice(some_ids))],
        "EventName": lambda: [("EventName", rng.choice(EVENT_NAMES))],
        "ReadOnly": lambda: [("ReadOnly", rng.choice(["true", "false"]))],
        "Username": lambda: [("Username", rng.choice(USERS))],
        "ResourceType": lambda: [("ResourceType", "AWS::KMS::Key")],
        "ResourceName": lambda: [("ResourceName", rng.choice(KEYS))],
        "EventSource": lambda: [("EventSource", rng.choice(["kms.amazonaws.com", "cloudtrail.amazonaws.com"]))],
        "AccessKeyId": lambda: [("AccessKeyId", rng.choice(ACCESS_KEYS))],
    }
    now = dt.datetime.now(dt.timezone.utc)
    for label, make in filters.items():
        first, second, ranged = [], [], []
        for _ in range(LOOKUP_SAMPLES):
            query = EventQuery(ACCOUNT, REGION, make())
            started = time.perf_counter()
            page, token = find_events(query)
            first.append((time.perf_counter() - started) * 1000)
            if token:
                started = time.perf_counter()
                find_events(query, token)
                second.append((time.perf_counter() - started) * 1000)
            days = rng.uniform(1, 80)
            query = EventQuery(ACCOUNT, REGION, make(), start=now - dt.timedelta(days=days + 2),
                               end=now - dt.timedelta(days=days))
            started = time.perf_counter()
            find_events(query)
            ranged.append((time.perf_counter() - started) * 1000)
        line = f"    {label:<13} p95 {p(first, .95):7.2f} ms   median {statistics.median(first):6.2f} ms"
        if second:
            line += f"   next page p95 {p(second, .95):6.2f} ms"
        line += f"   with 2-day time range p95 {p(ranged, .95):6.2f} ms"
        print(line)


def main():
    ensure_database()
    setup_django()
    print(f"database {DATABASE_URL.rsplit('@', 1)[-1]}")
    bench_write_cost()
    bench_lookup()


if __name__ == "__main__":
    main()
