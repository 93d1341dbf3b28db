"""The database drops the server's connections under load (issue 11): failed calls get an AWS-shaped 5xx that
botocore retries, the server recovers by itself, and every call that succeeded has its record.

The server is gunicorn (as `make serve` runs it: persistent database connections, CONN_MAX_AGE), on the test
database the `world` fixture committed; PostgreSQL's pg_terminate_backend ends every connection but the
test's own, three times while 8 clients call."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from django.db import connection

from audit.models import AuditEvent
from tests.api.conftest import OWNER_ROOT
from tests.conftest import OWNER, REGION, REPO
from tests.hardening.conftest import SHARED_KEY_ARN

CLIENTS = 8
ROUNDS_OF_TERMINATION = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn_server(world, tmp_path):
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
           f"{settings['NAME']}")
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_LOG_LEVEL": "ERROR"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "kmsconsole.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "2", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _terminate_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def test_terminated_connections_fail_calls_in_aws_shape_and_the_server_recovers(gunicorn_server):
    def client():
        return boto3.client("kms", endpoint_url=gunicorn_server, region_name=REGION, aws_access_key_id=OWNER_ROOT[0],
                            aws_secret_access_key=OWNER_ROOT[1], config=Config(retries={"total_max_attempts": 1}))

    successes, succeeded_at, failures, others = [], [], [], []
    lock = threading.Lock()
    stop = threading.Event()

    def work(index):
        kms = client()
        while not stop.is_set():
            try:
                answer = (kms.encrypt(KeyId=SHARED_KEY_ARN, Plaintext=b"fault") if index % 2
                          else kms.describe_key(KeyId=SHARED_KEY_ARN))
                with lock:
                    successes.append(answer["ResponseMetadata"]["RequestId"])
                    succeeded_at.append(time.monotonic())
            except ClientError as error:
                with lock:
                    failures.append((error.response["ResponseMetadata"]["HTTPStatusCode"],
                                     error.response["Error"]["Code"]))
            except Exception as error:  # noqa: BLE001 - anything else (a parse failure, a dropped socket) is a defect
                with lock:
                    others.append(repr(error))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    terminated = 0
    for _ in range(ROUNDS_OF_TERMINATION):
        time.sleep(1.5)
        terminated += _terminate_other_connections()
    last_termination = time.monotonic()
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join()

    # Recovery without a restart: calls succeed again right after the last termination, and afterwards.
    recovery_seconds = min(t for t in succeeded_at if t > last_termination) - last_termination
    assert client().describe_key(KeyId=SHARED_KEY_ARN)["KeyMetadata"]["Arn"] == SHARED_KEY_ARN

    assert terminated > 0
    assert others == []
    assert all(status >= 500 and code in ("KMSInternalException", "ServiceUnavailable") for status, code in failures), failures
    recorded = set(AuditEvent.objects.filter(recipient_account=OWNER, request_id__in=successes)
                   .values_list("request_id", flat=True))
    assert set(successes) <= recorded, f"{len(set(successes) - recorded)} successful calls without their record"
    print(f"fault: {len(successes)} successes, {len(failures)} failed calls (AWS-shaped 5xx), "
          f"{terminated} connections terminated, first success {recovery_seconds * 1000:.0f} ms after the last termination")
