"""Who may call /api/v1/: a SigV4-signed request for service kmsconsole (requests-aws4auth and botocore's
SigV4Auth), or the console's session with its CSRF token. Nothing else."""

import json

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import DEMO_KEY_ARN, DEMO_KEY_ID, OWNER, REGION
from tests.restapi.conftest import EVE, KEY_ADMIN, problem_of


def test_sigv4_with_requests_aws4auth_lists_the_owners_keys(rest):
    answer = rest(KEY_ADMIN).get("keys")
    assert answer.status_code == 200, answer.text
    assert {"KeyId": DEMO_KEY_ID, "KeyArn": DEMO_KEY_ARN} in answer.json()["results"]


def test_sigv4_with_botocore_sigv4auth_encrypts(live_server, demo):
    url = f"{live_server.url}/api/v1/keys/{DEMO_KEY_ID}/encrypt"
    body = json.dumps({"Plaintext": "aGVsbG8="})
    signed = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(*KEY_ADMIN), "kmsconsole", REGION).add_auth(signed)
    answer = requests.post(url, data=body, headers=dict(signed.headers))
    assert answer.status_code == 200, answer.text
    assert answer.json()["KeyId"] == DEMO_KEY_ARN
    assert answer.json()["CiphertextBlob"]


def test_a_signature_for_another_service_is_refused(rest, live_server):
    from requests_aws4auth import AWS4Auth

    kms_signed = requests.get(f"{live_server.url}/api/v1/keys", auth=AWS4Auth(*KEY_ADMIN, REGION, "kms"))
    problem = problem_of(kms_signed)
    assert kms_signed.status_code == 401
    assert problem["code"] == "InvalidSignatureException"
    assert "kmsconsole" in problem["detail"]


def test_a_wrong_secret_is_refused_and_nothing_is_listed(rest):
    answer = rest((KEY_ADMIN[0], "not-the-secret")).get("keys")
    assert answer.status_code == 401
    assert problem_of(answer)["code"] == "InvalidSignatureException"
    assert "results" not in answer.json()


def test_no_credentials_at_all_is_401_with_the_scheme_to_use(live_server, demo):
    answer = requests.get(f"{live_server.url}/api/v1/keys")
    assert answer.status_code == 401
    assert problem_of(answer)["code"] == "MissingAuthenticationTokenException"
    assert answer.headers["WWW-Authenticate"].startswith("AWS4-HMAC-SHA256")


def test_the_console_session_reads_with_get(console):
    api = console("KeyAdmin")
    answer = api.get("keys")
    assert answer.status_code == 200, answer.text
    assert any(k["KeyId"] == DEMO_KEY_ID for k in answer.json()["results"])


def test_the_console_session_needs_the_csrf_token_to_change_anything(console):
    api = console("KeyAdmin")
    without = requests.post(f"{api.base}/api/v1/keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": "aGk="},
                            cookies=api.cookies)
    assert without.status_code == 403
    assert problem_of(without)["code"] == "CsrfTokenMissingOrIncorrect"
    with_token = api.post(f"keys/{DEMO_KEY_ID}/encrypt", json={"Plaintext": "aGk="})
    assert with_token.status_code == 200, with_token.text


def test_calls_are_recorded_as_the_principal_in_cloudtrail(rest):
    api = rest(KEY_ADMIN)
    assert api.get(f"keys/{DEMO_KEY_ID}/policy").status_code == 200
    events = api.get("events", params={"event_name": "GetKeyPolicy"}).json()["results"]
    assert events and events[0]["Username"] == "KeyAdmin"
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{OWNER}:user/KeyAdmin"
    assert record["eventSource"] == "kms.amazonaws.com"


def test_the_outsider_is_denied_as_the_aws_api_denies_it(rest):
    answer = rest(EVE).post(f"keys/{DEMO_KEY_ARN}/encrypt", json={"Plaintext": "aGk="})
    assert answer.status_code == 403
    problem = problem_of(answer)
    assert problem["code"] == "AccessDeniedException"
    assert problem["requestId"]


def test_an_unknown_resource_is_a_404_problem_for_anyone(live_server, demo):
    answer = requests.delete(f"{live_server.url}/api/v1/nothing/here")
    assert answer.status_code == 404
    assert problem_of(answer)["code"] == "NotFoundException"


def test_a_body_too_large_to_read_is_a_413_problem(live_server, demo):
    answer = requests.post(f"{live_server.url}/api/v1/keys/{DEMO_KEY_ID}/encrypt", data=b"x" * (3 * 1024 * 1024),
                           headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x",
                                    "Content-Type": "application/json"})
    assert answer.status_code == 413
    assert problem_of(answer)["code"] == "RequestEntityTooLarge"
