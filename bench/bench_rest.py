"""REST API v1 benchmark on PostgreSQL (issue 14, "Speed").

(a) `POST /api/v1/keys/{key}/encrypt` signed with SigV4 (service kmsconsole) against the AWS JSON Encrypt on
    `POST /` (service kms), both by the demo's KeyAdmin on the demo key, through the whole Django stack in
    process, alternating in slices in the same run. Server time = the time Django takes to answer (no network,
    no client). Target: REST median at most 1.3x the AWS JSON median.
(b) List endpoints over an account with 10,000 keys (and their aliases): the first page and a page deep in the
    list, each sampled; the number of SQL queries must be the same for every sample and for both pages
    (asserted), whatever the account holds.

    python bench/bench_rest.py     # database kms_bench_rest on 127.0.0.1:5432, re-created each run
    BENCH_REST_DATABASE_URL=postgres://... python bench/bench_rest.py
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATABASE_URL = os.environ.get("BENCH_REST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kms_bench_rest")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")

OWNER, REGION = "111122223333", "us-west-2"
DEMO_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ADMIN = ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001")
KEYS = 10_000
SLICES, PER_SLICE = 6, 25
LIST_SAMPLES = 15
RATIO_TARGET = 1.3


def recreate_database():
    from bench_api import recreate_database as recreate  # one implementation for every benchmark

    recreate(DATABASE_URL)


def populate() -> None:
    """The demo scenario, then 10,000 more keys (and an alias each) of the owner in us-west-2, in bulk."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from keys.models import Alias, Key
    from kmsconsole import statecache

    call_command("load_scenario", str(REPO / "scenarios" / "demo.yaml"), verbosity=0)
    demo = Key.objects.get(key_id=DEMO_KEY_ID)
    now = timezone.now()
    with transaction.atomic():
        made = Key.objects.bulk_create([
            Key(account_id=OWNER, region=REGION, key_id=f"00000000-0000-4000-8000-{i:012d}",
                arn=f"arn:aws:kms:{REGION}:{OWNER}:key/00000000-0000-4000-8000-{i:012d}", created_at=now,
                policy=demo.policy, description=f"bench key {i}") for i in range(KEYS)], batch_size=2000)
        Alias.objects.bulk_create([Alias(account_id=OWNER, region=REGION, name=f"alias/bench-{i:05d}", key=key,
                                         created_at=now, updated_at=now) for i, key in enumerate(made)],
                                  batch_size=2000)
        statecache.bump()  # bulk_create skips the signals that move the state token
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _signed(method: str, path: str, service: str, body: bytes, headers: dict) -> dict:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=f"http://127.0.0.1{path}", data=body, headers=headers)
    SigV4Auth(Credentials(*KEY_ADMIN), service, REGION).add_auth(request)
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()
            if k.lower() not in ("content-type", "host")}


def rest_call(client, method: str, path: str, payload: dict | None = None):
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    meta = _signed(method, path, "kmsconsole", body, headers)
    handler = getattr(client, method.lower())
    if payload is None:
        return handler(path, HTTP_HOST="127.0.0.1", **meta)
    return handler(path, data=body, content_type="application/json", HTTP_HOST="127.0.0.1", **meta)


def aws_encrypt(client, plaintext_b64: str):
    body = json.dumps({"KeyId": DEMO_KEY_ID, "Plaintext": plaintext_b64}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"}
    meta = _signed("POST", "/", "kms", body, headers)
    return client.post("/", data=body, content_type="application/x-amz-json-1.1", HTTP_HOST="127.0.0.1", **meta)


def bench_encrypt() -> list[tuple[str, bool]]:
    import base64

    from django.test import Client

    client = Client()
    plaintext = base64.b64encode(bytes(range(256))).decode()
    path = f"/api/v1/keys/{DEMO_KEY_ID}/encrypt"

    def rest():
        response = rest_call(client, "POST", path, {"Plaintext": plaintext})
        assert response.status_code == 200, response.content[:300]

    def aws():
        response = aws_encrypt(client, plaintext)
        assert response.status_code == 200, response.content[:300]

    for _ in range(20):  # warm both: caches, connection, botocore models
        rest()
        aws()
    times = {"rest": [], "aws": []}
    for _ in range(SLICES):
        for name, run in (("rest", rest), ("aws", aws)) if _ % 2 == 0 else (("aws", aws), ("rest", rest)):
            for _ in range(PER_SLICE):
                began = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - began) * 1000)
    rest_ms, aws_ms = statistics.median(times["rest"]), statistics.median(times["aws"])
    ratio = rest_ms / aws_ms
    print(f"(a) Encrypt of 256 bytes, {len(times['rest'])} calls each, alternating in {SLICES} slices")
    print(f"  REST  POST {path:<52} median {rest_ms:6.2f} ms  p95 {_p95(times['rest']):6.2f} ms")
    print(f"  AWS   POST / TrentService.Encrypt{'':<33} median {aws_ms:6.2f} ms  p95 {_p95(times['aws']):6.2f} ms")
    print(f"  ratio {ratio:.2f} (target <= {RATIO_TARGET})")
    return [(f"REST encrypt / AWS JSON Encrypt server time: {ratio:.2f}x (target <= {RATIO_TARGET}x)",
             ratio <= RATIO_TARGET)]


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * len(values)) - 1]


def measure(label: str, run) -> tuple[float, int]:
    """(median ms, query count); the count is -1 when it varied between samples."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()
    counts, times = [], []
    for _ in range(LIST_SAMPLES):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            run()
            times.append((time.perf_counter() - began) * 1000)
        counts.append(len(queries))
    fixed = len(set(counts)) == 1
    print(f"  {label:<46} {counts[0]:>3} queries ({'fixed' if fixed else f'VARIES {sorted(set(counts))}'})"
          f"  median {statistics.median(times):6.1f} ms")
    return statistics.median(times), counts[0] if fixed else -1


def bench_lists() -> list[tuple[str, bool]]:
    from django.test import Client

    client = Client()
    print(f"(b) list endpoints, account {OWNER} with {KEYS + 1:,} keys and aliases; {LIST_SAMPLES} samples each")

    def get(path: str) -> dict:
        response = rest_call(client, "GET", path)
        assert response.status_code == 200, (path, response.content[:300])
        return response.json()

    checks = []
    for path in ("/api/v1/keys?limit=100", "/api/v1/aliases?limit=100", "/api/v1/events?limit=50",
                 f"/api/v1/keys/{DEMO_KEY_ID}/grants?limit=100", f"/api/v1/keys/{DEMO_KEY_ID}/tags"):
        _, first = measure(f"GET {path} page 1", lambda p=path: get(p))
        deep_path = path
        for _ in range(40):  # walk 40 pages in (when the list has them), then time that page
            following = get(deep_path)["next"]
            if not following:
                break
            deep_path = following.split("127.0.0.1", 1)[-1].replace("http://testserver", "")
        _, deep = measure(f"  ... page {'41' if deep_path != path else '1 (one page)'}", lambda p=deep_path: get(p))
        checks.append((f"GET {path}: {first} queries on page 1, {deep} deep in the list (fixed, same)",
                       first > 0 and first == deep))
    return checks


def main() -> int:
    recreate_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    call_command("migrate", verbosity=0)
    print(f"populating: the demo and {KEYS:,} keys (bulk inserts)...", flush=True)
    populate()
    checks = bench_encrypt() + bench_lists()
    print()
    for text, ok in checks:
        print(("PASS " if ok else "MISS ") + text)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
