"""The world the hardening tests attack, and a client that sends anything, signed or not.

owner    111122223333  root; Admin (kms:*, cloudtrail:LookupEvents); key SHARED_KEY_ID (alias/shared) shared
                       with 444455556666 for kms:*
trusted  444455556666  root; Bob (kms:*, cloudtrail:LookupEvents)
outsider 777788889999  root; Eve (kms:*, cloudtrail:LookupEvents): nobody shares anything with it
"""

import copy
import hashlib
import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.db import connection

from tests.api.conftest import ADMIN, BOB, OWNER_ROOT, SHARED_KEY_ARN, SHARED_KEY_ID, TRUSTED_ROOT, WORLD
from tests.conftest import OUTSIDER, OWNER, REGION, TRUSTED

EVE = ("AKIAOUTSIDEREVE00001", "test/outsider/eve/secret/not-secret/00001")
OUTSIDER_ROOT = ("AKIAOUTSIDERROOT0001", "test/outsider/root/secret/not-secret/001")
PRINCIPALS = {"owner-root": OWNER_ROOT, "owner-admin": ADMIN, "trusted-root": TRUSTED_ROOT, "trusted-bob": BOB,
              "outsider-root": OUTSIDER_ROOT, "outsider-eve": EVE}
ACCOUNT_OF = {OWNER_ROOT[0]: OWNER, ADMIN[0]: OWNER, TRUSTED_ROOT[0]: TRUSTED, BOB[0]: TRUSTED,
              OUTSIDER_ROOT[0]: OUTSIDER, EVE[0]: OUTSIDER}
KMS_TARGET = "TrentService."
TRAIL_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
JSON_TYPE = "application/x-amz-json-1.1"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
__all__ = ["SHARED_KEY_ARN", "SHARED_KEY_ID", "REGION"]

_READ_TRAIL = {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}


def _world() -> dict:
    world = copy.deepcopy(WORLD)
    for account in world["accounts"]:
        for user in account["users"]:
            if user["name"] in ("Admin", "Bob"):
                user["inline_policies"]["ReadTrail"] = {"Version": "2012-10-17", "Statement": [_READ_TRAIL]}
    world["accounts"].append({
        "id": OUTSIDER,
        "root_access_keys": [{"access_key_id": OUTSIDER_ROOT[0], "secret_access_key": OUTSIDER_ROOT[1]}],
        "users": [{"name": "Eve", "access_keys": [{"access_key_id": EVE[0], "secret_access_key": EVE[1]}],
                   "inline_policies": {"Everything": {"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Action": ["kms:*", "cloudtrail:LookupEvents"], "Resource": "*"}]}}}],
    })
    return world


HARDENING_WORLD = _world()


@pytest.fixture
def world(transactional_db, load_scenario):
    load_scenario(HARDENING_WORLD)
    return HARDENING_WORLD


def signed_request(url: str, body: bytes | str, *, credentials=OWNER_ROOT, service="kms", region=REGION,
                   target: str | None = None, content_type: str | None = JSON_TYPE, method="POST",
                   session_token: str | None = None, headers: dict | None = None,
                   signed_headers: list[str] | None = None) -> requests.Response:
    """Send `body` to the endpoint signed with SigV4 exactly as botocore signs (every header it is given),
    or only the headers named in signed_headers, when given."""
    body = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    all_headers = dict(headers or {})
    if target is not None:
        all_headers["X-Amz-Target"] = target
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    request = AWSRequest(method=method, url=url + "/", data=body, headers=all_headers)
    signer = SigV4Auth(Credentials(credentials[0], credentials[1], session_token), service, region)
    if signed_headers is not None:
        chosen = {name.lower() for name in signed_headers}
        original = signer.headers_to_sign

        def only_chosen(req):
            mapping = original(req)
            for name in list(mapping.keys()):
                if name not in chosen:
                    del mapping[name]
            return mapping

        signer.headers_to_sign = only_chosen
    signer.add_auth(request)
    prepared = request.prepare()
    return requests.request(method, prepared.url, data=body, headers=dict(prepared.headers), timeout=60)


def kms_request(url, operation: str, body, **kwargs) -> requests.Response:
    text = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return signed_request(url, text, target=KMS_TARGET + operation, **kwargs)


def json_error(response) -> tuple[int, str]:
    """(status, __type) of an AWS JSON 1.1 error answer; fails unless the answer has that shape."""
    assert response.headers["Content-Type"].startswith(JSON_TYPE), response.text[:300]
    payload = response.json()
    assert set(payload) <= {"__type", "message", "Message"}, payload
    return response.status_code, payload["__type"]


def query_error(response) -> tuple[int, str]:
    """(status, Code) of a Query-protocol <ErrorResponse>."""
    import xml.etree.ElementTree as ElementTree

    assert response.headers["Content-Type"].startswith("text/xml"), response.text[:300]
    root = ElementTree.fromstring(response.content)
    assert root.tag.endswith("ErrorResponse"), response.text[:300]
    code = next(el.text for el in root.iter() if el.tag.endswith("Code"))
    return response.status_code, code


def records_of(request_id: str) -> list[dict]:
    from audit.models import AuditEvent

    return [row.record for row in AuditEvent.objects.filter(request_id=request_id).order_by("recipient_account")]


_STATE_TABLES_EXCLUDED = {"audit_auditevent", "accounts_statetoken", "django_session", "kmsconsole_cache",
                          "django_migrations"}


def state_digest() -> str:
    """A digest of every row the service keeps, audit records and caches aside: equal digests, same state."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in _STATE_TABLES_EXCLUDED or not table.split("_")[0] in ("accounts", "keys", "iam"):
                continue
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
            digest.update(table.encode())
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
    return digest.hexdigest()
