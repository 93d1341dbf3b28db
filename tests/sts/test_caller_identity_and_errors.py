"""GetCallerIdentity for every kind of principal, GetSessionToken, the XML error shapes, and the AWS CLI."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import urllib.error
import urllib.parse
import urllib.request
from botocore.exceptions import ClientError

from accounts.models import AccessKey
from tests.conftest import OWNER, REGION, TRUSTED
from tests.sts.conftest import ALICE_KEY, OWNER_ROOT_KEY, credentials_of, role_arn
from kmsconsole import statecache


def error_of(excinfo):
    return excinfo.value.response["Error"]


def post(url, body: bytes, headers: dict) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_get_caller_identity_of_the_root_user(sts):
    identity = sts(OWNER_ROOT_KEY).get_caller_identity()
    assert (identity["Arn"], identity["UserId"], identity["Account"]) == (f"arn:aws:iam::{OWNER}:root", OWNER, OWNER)


def test_get_caller_identity_of_an_iam_user(sts):
    identity = sts(ALICE_KEY).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{TRUSTED}:user/Alice"
    assert identity["UserId"].startswith("AIDA") and len(identity["UserId"]) == 21
    assert identity["Account"] == TRUSTED


def test_get_caller_identity_of_a_role_session(sts):
    assumed = sts(ALICE_KEY).assume_role(RoleArn=role_arn(OWNER, "CrossAccountRole"), RoleSessionName="alice")
    identity = sts(*credentials_of(assumed)).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{OWNER}:assumed-role/CrossAccountRole/alice"
    assert identity["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
    assert identity["Account"] == OWNER


def test_get_caller_identity_needs_no_permission_even_under_an_explicit_deny(sts, load_scenario):
    load_scenario({"version": 1, "accounts": [{"id": TRUSTED, "users": [{"name": "Alice", "inline_policies": {
        "DenyEverything": {"Version": "2012-10-17",
                           "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}}}]}]})
    assert sts(ALICE_KEY).get_caller_identity()["Arn"].endswith("user/Alice")


def test_get_session_token_gives_an_iam_user_temporary_credentials_as_itself(sts):
    response = sts(ALICE_KEY).get_session_token(DurationSeconds=900)
    creds, token = credentials_of(response)
    assert creds[0].startswith("ASIA")
    assert response["Credentials"]["Expiration"] - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(minutes=15)

    assert sts(creds, token).get_caller_identity()["Arn"] == f"arn:aws:iam::{TRUSTED}:user/Alice"
    key = AccessKey.objects.get(access_key_id=creds[0])
    assert key.user.name == "Alice" and key.session is None and key.session_token_digest != token

    with pytest.raises(ClientError) as excinfo:
        sts(creds, "wrong").get_caller_identity()
    assert error_of(excinfo)["Code"] == "InvalidClientTokenId"

    AccessKey.objects.filter(access_key_id=creds[0]).update(
        expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    statecache.bump()  # QuerySet.update() sends no signal: say the state changed
    with pytest.raises(ClientError) as excinfo:
        sts(creds, token).get_caller_identity()
    assert error_of(excinfo)["Code"] == "ExpiredToken"


def test_get_session_token_is_refused_with_session_credentials(sts):
    assumed = sts(ALICE_KEY).assume_role(RoleArn=role_arn(TRUSTED, "ExampleRole"), RoleSessionName="alice")
    with pytest.raises(ClientError) as excinfo:
        sts(*credentials_of(assumed)).get_session_token()
    assert error_of(excinfo)["Code"] == "AccessDenied"


def test_unknown_access_key_is_an_invalid_client_token_id(sts):
    with pytest.raises(ClientError) as excinfo:
        sts(("AKIANOBODY0000000001", "whatever")).get_caller_identity()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_of(excinfo) == {"Type": "Sender", "Code": "InvalidClientTokenId",
                                 "Message": "The security token included in the request is invalid."}


def test_wrong_secret_is_a_signature_mismatch(sts):
    with pytest.raises(ClientError) as excinfo:
        sts((ALICE_KEY[0], "not-alices-secret")).get_caller_identity()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_of(excinfo)["Code"] == "SignatureDoesNotMatch"


def test_unsigned_request_is_refused(live_server, sts_world):
    status, headers, text = post(live_server.url + "/", b"Action=GetCallerIdentity&Version=2011-06-15",
                                 {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 403
    assert headers["Content-Type"].startswith("text/xml")
    assert "<Code>MissingAuthenticationToken</Code>" in text


def test_unknown_action_is_an_invalid_action(sts):
    client = sts(ALICE_KEY)
    # Reuse boto3's signing for an action STS does not have.
    from botocore.awsrequest import AWSRequest
    from botocore.auth import SigV4Auth

    request = AWSRequest(method="POST", url=client.meta.endpoint_url + "/",
                         data="Action=DeleteEverything&Version=2011-06-15",
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(client._request_signer._credentials, "sts", REGION).add_auth(request)
    status, _headers, text = post(request.url, request.body, dict(request.headers))
    assert status == 400
    assert "<Code>InvalidAction</Code>" in text
    assert "<Type>Sender</Type>" in text


def test_success_xml_has_the_aws_shape(sts):
    client = sts(ALICE_KEY)
    captured = {}
    client.meta.events.register("after-call.sts.GetCallerIdentity",
                                lambda http_response, **kw: captured.setdefault("body", http_response.text))
    client.get_caller_identity()
    body = captured["body"]
    assert body.startswith('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">')
    assert "<GetCallerIdentityResult><UserId>" in body
    assert "<ResponseMetadata><RequestId>" in body


def test_aws_cli_get_caller_identity(live_server, sts_world, tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": live_server.url,
        "AWS_ACCESS_KEY_ID": ALICE_KEY[0],
        "AWS_SECRET_ACCESS_KEY": ALICE_KEY[1],
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    aws_cli = Path(sys.executable).parent / "aws"
    result = subprocess.run([str(aws_cli), "sts", "get-caller-identity", "--output", "json"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == f"arn:aws:iam::{TRUSTED}:user/Alice"
