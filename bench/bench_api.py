"""API benchmark (issue 4, "Speed"): our AWS endpoint against moto's server and against a bare Django view.

    .venv/bin/python bench/bench_api.py [--scale 1.0] [--workers 4] [--threads 1] [--concurrency 4]
                                        [--clients processes|threads] [--gunicorn-arg=--worker-class=sync]

(a) The same boto3 workload (Encrypt of 256 bytes, Decrypt, GenerateDataKey, DescribeKey) at concurrency 1, 4
    and 16 against OUR server (gunicorn kmsconsole.wsgi with the repository's gunicorn.conf.py, PostgreSQL
    database kms_bench created and migrated here, demo scenario loaded; every call SigV4-verified,
    policy-evaluated and audited) and against moto's server (moto_server, in memory). Both servers get an
    untimed warm-up, then each row is timed in SLICES slices per server, alternating ABBA in the same run.
(b) Pre-signed raw HTTP Encrypt requests (signed up front with botocore) at concurrency 16 over persistent
    http.client connections, against our endpoint and against bench/floor_app (parse, one AES-GCM, one audit
    row, same database).
(c) p99/p50 at concurrency 4.
(d) "policies": boto3 Encrypt at concurrency 4 on our server by a user governed by 40 IAM policies (10 attached
    to the user, 3 groups with 10 each) against the same Encrypt by KeyAdmin (one inline policy), alternating
    in slices: what a principal's policy count costs a call (target: within 10%).
(e) "key kinds": boto3 Encrypt at concurrency 4 with a multi-Region replica key (its primary in another Region)
    and with a key whose material was imported (Origin EXTERNAL), each against the demo's plain key, alternating
    in slices (target: within 5%).

Everything runs on loopback ports chosen here, with bounded request counts; the servers are stopped at the
end whatever happens. PostgreSQL comes from BENCH_DATABASE_URL, else DATABASE_URL's server, else
postgres://postgres@127.0.0.1:5432; the database is always kms_bench (dropped and re-created).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO = pathlib.Path(__file__).resolve().parent.parent
VENV_BIN = pathlib.Path(sys.executable).parent
REGION = "us-west-2"
DEMO_KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# The demo's key administrator: IAM kms:* and the key policy's account statement, so every call is allowed by
# real policy evaluation (key policy + IAM), not short-circuited.
DEMO_CREDENTIALS = ("AKIADEMOKEYADMIN0001", "demo/KeyAdmin/secret/not-secret/0000001")
MOTO_CREDENTIALS = ("testing", "testing")
# (d): a user of the key's account whose key use is allowed by one of 40 policies (the others allow other
# services), attached directly and through three groups (bench/heavy_principal below).
HEAVY_CREDENTIALS = ("AKIABENCHHEAVYUSER01", "bench/heavy/secret/not-secret/00000000001")
PLAINTEXT = bytes(range(256))
OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey")
CONCURRENCIES = (1, 4, 16)
# Each server's share of a workload row is timed in this many slices, alternating with the other server's.
SLICES = 6


# ----------------------------------------------------------------------------------------------------------
# Processes
# ----------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_database_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        parts = urllib.parse.urlsplit(base)
        return urllib.parse.urlunsplit(parts._replace(path="/kms_bench"))
    return "postgres://postgres@127.0.0.1:5432/kms_bench"


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def server_environment(database_url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_LOG_LEVEL="ERROR", PYTHONPATH=str(REPO))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)


class Servers:
    """The processes this run started; stop() ends each of them (and only them)."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []
        self.logs: list[str] = []

    def start(self, name: str, command: list[str], env: dict, port: int) -> str:
        # A log file, not a pipe: nobody reads a pipe while the benchmark runs, and a full one blocks the server.
        log = tempfile.NamedTemporaryFile(prefix=f"bench-{name.replace(' ', '-')}-", suffix=".log", delete=False)
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append(process)
        self.logs.append(log.name)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited: {pathlib.Path(log.name).read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not listen on port {port}")

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            os.unlink(log)


def gunicorn_command(app: str, port: int, workers: int, threads: int, extra: list[str] = ()) -> list[str]:
    # Run from the repository, so gunicorn also reads gunicorn.conf.py, exactly as `make serve` does.
    return [str(VENV_BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--log-level", "warning", *extra]


# ----------------------------------------------------------------------------------------------------------
# (a) boto3 workload
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    @staticmethod
    def merge(results: list["Result"]) -> "Result":
        return Result(sum(r.requests for r in results), sum(r.seconds for r in results),
                      [x for r in results for x in r.latencies], sum(r.errors for r in results))


class Target:
    """One server with a key to use, and a way to make a call of each workload operation."""

    def __init__(self, name: str, url: str, credentials: tuple[str, str], key_id: str):
        self.name, self.url, self.credentials, self.key_id = name, url, credentials, key_id
        self.ciphertext = self.client().encrypt(KeyId=key_id, Plaintext=PLAINTEXT)["CiphertextBlob"]

    def client(self):
        return self.client_for(self.url, self.credentials)

    @staticmethod
    def client_for(url: str, credentials: tuple[str, str]):
        return boto3.client("kms", endpoint_url=url, region_name=REGION, aws_access_key_id=credentials[0],
                            aws_secret_access_key=credentials[1],
                            config=Config(retries={"max_attempts": 1}, max_pool_connections=4,
                                          connect_timeout=10, read_timeout=30))

    def call(self, client, operation: str):
        if operation == "Encrypt":
            return client.encrypt(KeyId=self.key_id, Plaintext=PLAINTEXT)
        if operation == "Decrypt":
            return client.decrypt(CiphertextBlob=self.ciphertext, KeyId=self.key_id)
        if operation == "GenerateDataKey":
            return client.generate_data_key(KeyId=self.key_id, KeySpec="AES_256")
        return client.describe_key(KeyId=self.key_id)


def run_threads(concurrency: int, total: int, prepare, send) -> Result:
    """`total` requests over `concurrency` threads, each with its own prepared client; per-request latency."""
    share = total // concurrency
    clients = [prepare() for _ in range(concurrency)]
    for client in clients:  # open connections and warm caches outside the timed part
        send(client)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    barrier = threading.Barrier(concurrency + 1, timeout=120)

    def work(index: int):
        client, mine = clients[index], latencies[index]
        barrier.wait()
        for _ in range(share):
            began = time.perf_counter()
            try:
                send(client)
            except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                errors[index] += 1
            mine.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Result(share * concurrency, elapsed, [x for part in latencies for x in part], sum(errors))


def run_processes(concurrency: int, total: int, prepare, send) -> Result:
    """Like run_threads, but each client is a process of its own, as independent callers would be.

    boto3 spends more CPU per call than either server; threads of one process share one GIL, so with
    threads the harness itself caps the rate and hides the servers' differences."""
    context = multiprocessing.get_context("fork")
    share = total // concurrency
    barrier = context.Barrier(concurrency + 1, timeout=120)
    results = context.Queue()

    def work():
        client = prepare()
        send(client)  # open the connection and warm caches outside the timed part
        latencies, errors = [], 0
        barrier.wait()
        for _ in range(share):
            began = time.perf_counter()
            try:
                send(client)
            except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                errors += 1
            latencies.append(time.perf_counter() - began)
        results.put((latencies, errors))

    processes = [context.Process(target=work) for _ in range(concurrency)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    parts = [results.get(timeout=300) for _ in processes]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join(timeout=30)
    return Result(share * concurrency, elapsed, [x for part, _ in parts for x in part], sum(e for _, e in parts))


CLIENT_RUNNERS = {"processes": run_processes, "threads": run_threads}


def boto3_workload(ours: Target, moto: Target, scale: float, concurrencies=CONCURRENCIES,
                   runner=run_processes) -> dict:
    results = {}
    for concurrency in concurrencies:
        total = int({1: 180, 4: 480, 16: 960}[concurrency] * scale)
        for operation in OPERATIONS:
            rounds = {ours.name: [], moto.name: []}
            # Untimed warm-up of both servers, so every worker process has served this call before timing
            # starts (a process's first call opens its database connection and fills its caches). Kept-alive
            # connections stay with the worker that accepted them, so 16 of them, to reach every worker.
            for target in (ours, moto):
                run_threads(16, 160, target.client, lambda c, t=target, op=operation: t.call(c, op))
            # SLICES short slices each, in ABBA order, so the machine's drift during the run hits both alike.
            for index in range(SLICES):
                for target in ((ours, moto) if index % 2 == 0 else (moto, ours)):
                    rounds[target.name].append(runner(concurrency, total // SLICES, target.client,
                                                      lambda c, t=target, op=operation: t.call(c, op)))
            results[(operation, concurrency)] = {name: Result.merge(parts) for name, parts in rounds.items()}
            mine, theirs = results[(operation, concurrency)][ours.name], results[(operation, concurrency)][moto.name]
            print(f"  {operation:<16} c={concurrency:<3} ours {mine.rate:7.1f}/s  moto {theirs.rate:7.1f}/s", flush=True)
    return results


# ----------------------------------------------------------------------------------------------------------
# (b) pre-signed raw HTTP
# ----------------------------------------------------------------------------------------------------------


def presigned_encrypts(url: str, count: int) -> list[tuple[bytes, dict]]:
    import base64
    import json

    body = json.dumps({"KeyId": DEMO_KEY_ARN, "Plaintext": base64.b64encode(PLAINTEXT).decode()}).encode()
    credentials = Credentials(*DEMO_CREDENTIALS)
    signed = []
    for _ in range(count):
        request = AWSRequest(method="POST", url=url + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"})
        SigV4Auth(credentials, "kms", REGION).add_auth(request)
        signed.append((body, dict(request.headers.items())))
    return signed


def raw_run(url: str, batch: list[tuple[bytes, dict]], concurrency: int) -> Result:
    host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
    chunks = [batch[i::concurrency] for i in range(concurrency)]
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    barrier = threading.Barrier(concurrency + 1, timeout=120)

    def work(index: int):
        connection = http.client.HTTPConnection(host, port, timeout=30)
        barrier.wait()
        for body, headers in chunks[index]:
            began = time.perf_counter()
            try:
                connection.request("POST", "/", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
            latencies[index].append(time.perf_counter() - began)
        connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return Result(len(batch), time.perf_counter() - started, [x for part in latencies for x in part], sum(errors))


def raw_workload(ours_url: str, floor_url: str, scale: float) -> dict:
    count = int(3000 * scale)
    results = {"ours": [], "floor": []}
    for url in (ours_url, floor_url):  # untimed warm-up of every worker
        raw_run(url, presigned_encrypts(url, 160), 16)
    # More slices than the boto3 rows: each slice opens 16 new connections, and how gunicorn's workers happen
    # to share them moves a slice's rate by ±15%.
    for index in range(2 * SLICES):
        for name in (("ours", "floor") if index % 2 == 0 else ("floor", "ours")):
            url = ours_url if name == "ours" else floor_url
            batch = presigned_encrypts(url, count // (2 * SLICES))
            results[name].append(raw_run(url, batch, 16))
    return {name: Result.merge(parts) for name, parts in results.items()}


# ----------------------------------------------------------------------------------------------------------
# (d) a principal with many policies
# ----------------------------------------------------------------------------------------------------------


def heavy_principal_scenario() -> str:
    """A scenario file: user BenchHeavy of 111122223333 with 10 managed policies and 3 groups of 10 each."""
    import json

    def policy(index: int, allow_key: bool) -> dict:
        action = ["kms:Encrypt", "kms:Decrypt"] if allow_key else ["s3:GetObject", "sqs:SendMessage"]
        resource = DEMO_KEY_ARN if allow_key else f"arn:aws:s3:::bench-bucket-{index}/*"
        return {"name": f"BenchPolicy{index:02d}", "document": {"Version": "2012-10-17", "Statement": [
            {"Sid": f"Bench{index}", "Effect": "Allow", "Action": action, "Resource": resource}]}}

    policies = [policy(i, allow_key=(i == 39)) for i in range(40)]
    groups = [{"name": f"BenchGroup{g}", "managed_policies": [p["name"] for p in policies[10 + 10 * g:20 + 10 * g]]}
              for g in range(3)]
    document = {"version": 1, "accounts": [{
        "id": "111122223333",
        "managed_policies": policies,
        "groups": groups,
        "users": [{"name": "BenchHeavy", "groups": [g["name"] for g in groups],
                   "managed_policies": [p["name"] for p in policies[:10]],
                   "access_keys": [{"access_key_id": HEAVY_CREDENTIALS[0],
                                    "secret_access_key": HEAVY_CREDENTIALS[1]}]}],
    }]}
    handle = tempfile.NamedTemporaryFile("w", prefix="bench-heavy-", suffix=".json", delete=False)
    json.dump(document, handle)
    handle.close()
    return handle.name


def policies_workload(url: str, scale: float, runner) -> dict:
    plain = Target("KeyAdmin", url, DEMO_CREDENTIALS, DEMO_KEY_ARN)
    heavy = Target("BenchHeavy", url, HEAVY_CREDENTIALS, DEMO_KEY_ARN)
    total = int(480 * scale)
    rounds = {plain.name: [], heavy.name: []}
    for target in (plain, heavy):
        run_threads(16, 160, target.client, lambda c, t=target: t.call(c, "Encrypt"))
    for index in range(SLICES):
        for target in ((plain, heavy) if index % 2 == 0 else (heavy, plain)):
            rounds[target.name].append(runner(4, total // SLICES, target.client,
                                              lambda c, t=target: t.call(c, "Encrypt")))
    return {name: Result.merge(parts) for name, parts in rounds.items()}


# ----------------------------------------------------------------------------------------------------------
# (e) key kinds: a multi-Region replica and imported key material
# ----------------------------------------------------------------------------------------------------------


def multi_region_replica(url: str) -> str:
    """A multi-Region key whose primary is in eu-west-1, replicated into the benchmark's Region."""
    primary = boto3.client("kms", endpoint_url=url, region_name="eu-west-1", aws_access_key_id=DEMO_CREDENTIALS[0],
                           aws_secret_access_key=DEMO_CREDENTIALS[1])
    key_id = primary.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    return primary.replicate_key(KeyId=key_id, ReplicaRegion=REGION)["ReplicaKeyMetadata"]["Arn"]


def imported_material_key(url: str) -> str:
    """A symmetric key with Origin EXTERNAL whose 256-bit material is wrapped here and imported, as a client does."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    client = Target.client_for(url, DEMO_CREDENTIALS)
    key_id = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    parameters = client.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                  WrappingKeySpec="RSA_2048")
    wrapping_key = serialization.load_der_public_key(parameters["PublicKey"])
    wrapped = wrapping_key.encrypt(os.urandom(32), padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                                algorithm=hashes.SHA256(), label=None))
    client.import_key_material(KeyId=key_id, ImportToken=parameters["ImportToken"], EncryptedKeyMaterial=wrapped,
                               ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    return client.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


def key_kinds_workload(url: str, scale: float, runner) -> dict:
    targets = [Target("plain", url, DEMO_CREDENTIALS, DEMO_KEY_ARN),
               Target("replica", url, DEMO_CREDENTIALS, multi_region_replica(url)),
               Target("imported", url, DEMO_CREDENTIALS, imported_material_key(url))]
    total = int(480 * scale)
    rounds = {target.name: [] for target in targets}
    for target in targets:
        run_threads(16, 160, target.client, lambda c, t=target: t.call(c, "Encrypt"))
    for index in range(SLICES):
        for target in (targets if index % 2 == 0 else targets[::-1]):
            rounds[target.name].append(runner(4, total // SLICES, target.client,
                                              lambda c, t=target: t.call(c, "Encrypt")))
    return {name: Result.merge(parts) for name, parts in rounds.items()}


# ----------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------


def report(boto_results: dict, raw: dict, workers: int, threads: int, policies: dict | None = None,
           key_kinds: dict | None = None) -> bool:
    print()
    print(f"our server: gunicorn kmsconsole.wsgi --workers {workers} --threads {threads} (PostgreSQL, SigV4, "
          "policies, audit); moto: moto_server")
    print(f"{'workload':<28}{'c':>4}{'ours req/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'moto req/s':>12}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'ours/moto':>11}{'errors':>8}")
    for (operation, concurrency), pair in boto_results.items():
        mine, theirs = pair["ours"], pair["moto"]
        print(f"{'boto3 ' + operation:<28}{concurrency:>4}{mine.rate:>12.1f}{mine.percentile(.5):>9.1f}"
              f"{mine.percentile(.99):>9.1f}{theirs.rate:>12.1f}{theirs.percentile(.5):>9.1f}"
              f"{theirs.percentile(.99):>9.1f}{mine.rate / theirs.rate:>10.2f}x{mine.errors + theirs.errors:>8}")
    mine, floor = raw["ours"], raw["floor"]
    # This row's "moto" columns hold the floor view's figures.
    print(f"{'raw Encrypt: ours vs floor':<28}{16:>4}{mine.rate:>12.1f}{mine.percentile(.5):>9.1f}"
          f"{mine.percentile(.99):>9.1f}{floor.rate:>12.1f}{floor.percentile(.5):>9.1f}"
          f"{floor.percentile(.99):>9.1f}{mine.rate / floor.rate:>10.2f}x{mine.errors + floor.errors:>8}")

    checks = []
    if policies:
        plain, heavy = policies["KeyAdmin"], policies["BenchHeavy"]
        print(f"{'policies: 40 vs 1 (Encrypt)':<28}{4:>4}{heavy.rate:>12.1f}{heavy.percentile(.5):>9.1f}"
              f"{heavy.percentile(.99):>9.1f}{plain.rate:>12.1f}{plain.percentile(.5):>9.1f}"
              f"{plain.percentile(.99):>9.1f}{heavy.rate / plain.rate:>10.2f}x{heavy.errors + plain.errors:>8}")
        checks.append((f"Encrypt c=4 by a user with 40 policies / by KeyAdmin = {heavy.rate / plain.rate:.2f}x "
                       "(target >= 0.9x)", heavy.rate / plain.rate >= 0.9 and heavy.errors == 0))
    if key_kinds:
        plain = key_kinds["plain"]
        for name, label in (("replica", "multi-Region replica"), ("imported", "imported material")):
            other = key_kinds[name]
            print(f"{'key: ' + label + ' vs plain':<28}{4:>4}{other.rate:>12.1f}{other.percentile(.5):>9.1f}"
                  f"{other.percentile(.99):>9.1f}{plain.rate:>12.1f}{plain.percentile(.5):>9.1f}"
                  f"{plain.percentile(.99):>9.1f}{other.rate / plain.rate:>10.2f}x{other.errors + plain.errors:>8}")
            checks.append((f"Encrypt c=4 with a {label} key / a plain key = {other.rate / plain.rate:.2f}x "
                           "(target >= 0.95x)", other.rate / plain.rate >= 0.95 and other.errors == 0))
    if ("Encrypt", 4) not in boto_results:
        for text, ok in checks:
            print(("PASS " if ok else "MISS ") + text)
        return all(ok for _, ok in checks)
    encrypt4 = boto_results[("Encrypt", 4)]
    ratio_moto = encrypt4["ours"].rate / encrypt4["moto"].rate
    ratio_floor = mine.rate / floor.rate
    tails = {op: boto_results[(op, 4)]["ours"].percentile(.99) / boto_results[(op, 4)]["ours"].percentile(.5)
             for op in OPERATIONS}
    checks += [
        (f"boto3 Encrypt c=4: ours/moto = {ratio_moto:.2f}x (target >= 1.3x)", ratio_moto >= 1.3),
        (f"raw Encrypt c=16: ours/floor = {ratio_floor:.2f}x (target >= 0.7x)", ratio_floor >= 0.7),
        ("p99/p50 at c=4 (ours): " + ", ".join(f"{op} {r:.2f}" for op, r in tails.items()) + " (target <= 3)",
         all(r <= 3 for r in tails.values())),
    ]
    print()
    for text, ok in checks:
        print(("PASS " if ok else "MISS ") + text)
    return all(ok for _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every request count")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 4)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    parser.add_argument("--concurrency", type=int, action="append", help="boto3 concurrency (repeatable)")
    parser.add_argument("--gunicorn-arg", action="append", default=[], metavar="ARG",
                        help="extra gunicorn argument for both Django servers, e.g. --gunicorn-arg=--worker-class=sync")
    parser.add_argument("--skip-boto3", action="store_true", help="only the raw HTTP comparison")
    parser.add_argument("--skip-policies", action="store_true", help="leave out (d), the many-policies row")
    parser.add_argument("--skip-key-kinds", action="store_true",
                        help="leave out (e), multi-Region replica and imported material vs a plain key")
    parser.add_argument("--clients", choices=sorted(CLIENT_RUNNERS), default="processes",
                        help="boto3 callers as processes (default: independent clients) or threads of one process")
    args = parser.parse_args()

    database_url = bench_database_url()
    where = urllib.parse.urlsplit(database_url)
    print(f"database {where.path.lstrip('/')} on {where.hostname}:{where.port or 5432}: re-creating, migrating, "
          "loading the demo", flush=True)
    recreate_database(database_url)
    env = server_environment(database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "load_scenario", "scenarios/demo.yaml")
    heavy_file = heavy_principal_scenario()
    manage(env, "load_scenario", heavy_file)
    os.unlink(heavy_file)

    servers = Servers()
    # SIGTERM (timeout, Ctrl-C from make) must still run the finally below that stops the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        ours_url = servers.start("our server", gunicorn_command("kmsconsole.wsgi", port := free_port(), args.workers,
                                                                args.threads, args.gunicorn_arg), env, port)
        floor_url = servers.start("floor app", gunicorn_command("bench.floor_app.wsgi", port := free_port(),
                                                                args.workers, args.threads, args.gunicorn_arg), env, port)
        moto_env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        moto_url = servers.start("moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p",
                                          str(port := free_port())], moto_env, port)

        boto_results = {}
        if not args.skip_boto3:
            ours = Target("ours", ours_url, DEMO_CREDENTIALS, DEMO_KEY_ARN)
            moto_key = boto3.client("kms", endpoint_url=moto_url, region_name=REGION,
                                    aws_access_key_id=MOTO_CREDENTIALS[0],
                                    aws_secret_access_key=MOTO_CREDENTIALS[1]).create_key()["KeyMetadata"]["Arn"]
            moto = Target("moto", moto_url, MOTO_CREDENTIALS, moto_key)
            print("(a) boto3 workload, alternating ours / moto", flush=True)
            print(f"(a) boto3 callers: {args.clients}", flush=True)
            boto_results = boto3_workload(ours, moto, args.scale, tuple(args.concurrency or CONCURRENCIES),
                                          CLIENT_RUNNERS[args.clients])
        policies = None
        if not args.skip_policies:
            print("(d) Encrypt by a user with 40 policies vs KeyAdmin, alternating", flush=True)
            policies = policies_workload(ours_url, args.scale, CLIENT_RUNNERS[args.clients])
        key_kinds = None
        if not args.skip_key_kinds:
            print("(e) Encrypt with a multi-Region replica and an imported-material key vs a plain key", flush=True)
            key_kinds = key_kinds_workload(ours_url, args.scale, CLIENT_RUNNERS[args.clients])
        print("(b) pre-signed raw Encrypt at c=16, ours / floor", flush=True)
        raw = raw_workload(ours_url, floor_url, args.scale)
        if args.skip_boto3:
            mine, floor = raw["ours"], raw["floor"]
            print(f"raw Encrypt c=16: ours {mine.rate:.1f}/s (p50 {mine.percentile(.5):.1f} ms, p99 "
                  f"{mine.percentile(.99):.1f} ms), floor {floor.rate:.1f}/s: {mine.rate / floor.rate:.2f}x, "
                  f"errors {mine.errors + floor.errors}")
            return 0
        return 0 if report(boto_results, raw, args.workers, args.threads, policies, key_kinds) else 1
    finally:
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())
