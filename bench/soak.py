"""Soak (issue 11): 16 boto3 clients call the endpoint for 60 s; every answer must be AWS-shaped and below 500,
and every call must have its audit record.

    .venv/bin/python bench/soak.py [--seconds 60] [--clients 16] [--workers 4] [--threads 1]

Serves gunicorn kmsconsole.wsgi (the repository's gunicorn.conf.py) on a loopback port over its own
PostgreSQL database kms_soak (dropped and re-created; server from SOAK_DATABASE_URL, else DATABASE_URL's
server), loads the demo scenario, and runs a mix of allowed and refused calls by the demo's key administrator:
Encrypt, Decrypt, GenerateDataKey, DescribeKey, ListAliases, and a DescribeKey of a key that does not exist.
Prints requests per second, p50 and p99 latency, the number of 5xx answers and of calls without their record;
exits non-zero unless both are 0. The server is stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bench_api import (
    DEMO_CREDENTIALS, DEMO_KEY_ARN, REGION, Servers, free_port, gunicorn_command, manage, recreate_database,
    server_environment,
)

MISSING_KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/00000000-0000-4000-8000-000000000000"


def soak_database_url() -> str:
    explicit = os.environ.get("SOAK_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(base)._replace(path="/kms_soak"))


class Tally:
    """What every client saw, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.request_ids: list[str] = []
        self.server_errors: list[str] = []
        self.unexpected: list[str] = []

    def add(self, seconds: float, request_id: str, status: int, code: str | None):
        with self.lock:
            self.latencies.append(seconds)
            if request_id:
                self.request_ids.append(request_id)
            if status >= 500:
                self.server_errors.append(f"{status} {code}")
            elif code not in (None, "NotFoundException", "AccessDeniedException"):
                self.unexpected.append(f"{status} {code}")


def client_loop(url: str, deadline: float, tally: Tally, index: int):
    kms = boto3.client("kms", endpoint_url=url, region_name=REGION, aws_access_key_id=DEMO_CREDENTIALS[0],
                       aws_secret_access_key=DEMO_CREDENTIALS[1],
                       config=Config(retries={"total_max_attempts": 1}, max_pool_connections=2))
    blob = kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"soak")["CiphertextBlob"]
    calls = [
        lambda: kms.encrypt(KeyId=DEMO_KEY_ARN, Plaintext=b"soak payload", EncryptionContext={"client": str(index)}),
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.generate_data_key(KeyId=DEMO_KEY_ARN, KeySpec="AES_256"),
        lambda: kms.describe_key(KeyId=DEMO_KEY_ARN),
        lambda: kms.list_aliases(Limit=10),
        lambda: kms.describe_key(KeyId=MISSING_KEY_ARN),
    ]
    turn = index
    while time.monotonic() < deadline:
        call = calls[turn % len(calls)]
        turn += 1
        started = time.monotonic()
        try:
            answer = call()
            meta, code = answer["ResponseMetadata"], None
        except ClientError as error:
            meta, code = error.response["ResponseMetadata"], error.response["Error"]["Code"]
        tally.add(time.monotonic() - started, meta.get("RequestId", ""), meta.get("HTTPStatusCode", 0), code)


def records_missing(database_url: str, request_ids: list[str]) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT DISTINCT request_id FROM audit_auditevent WHERE recipient_account = '111122223333'").fetchall()
    recorded = {row[0] for row in rows}
    return sum(1 for request_id in request_ids if request_id not in recorded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    database_url = soak_database_url()
    recreate_database(database_url)
    env = server_environment(database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "load_scenario", "scenarios/demo.yaml")
    servers = Servers()
    try:
        port = free_port()
        url = servers.start("ours", gunicorn_command("kmsconsole.wsgi", port, args.workers, args.threads), env, port)
        tally = Tally()
        deadline = time.monotonic() + args.seconds
        clients = [threading.Thread(target=client_loop, args=(url, deadline, tally, i)) for i in range(args.clients)]
        started = time.monotonic()
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        servers.stop()

    missing = records_missing(database_url, tally.request_ids)
    latencies = sorted(tally.latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0
    print(f"soak: {args.clients} clients, {elapsed:.0f} s, {len(latencies)} calls, "
          f"{len(latencies) / elapsed:.0f} req/s, p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms, 5xx {len(tally.server_errors)}, records missing {missing}, "
          f"unexpected errors {len(tally.unexpected)}")
    for line in sorted(set(tally.server_errors + tally.unexpected))[:10]:
        print(f"  {line}")
    return 0 if not tally.server_errors and not missing and not tally.unexpected else 1


if __name__ == "__main__":
    sys.exit(main())
