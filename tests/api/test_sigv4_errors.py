"""Requests the endpoint refuses before any operation runs, as boto3 sees them (ClientError codes)."""

import datetime as dt

import boto3
import botocore.auth
from botocore import UNSIGNED
from botocore.config import Config

from tests.api.conftest import DORMANT, OWNER_ROOT, SHARED_KEY_ARN, SHARED_KEY_ID, error_of
from tests.conftest import REGION


def _client(live_server, credentials=OWNER_ROOT, region=REGION, **config):
    return boto3.client("kms", endpoint_url=live_server.url, region_name=region,
                        aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1],
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config))


def test_unsigned_request(world, live_server):
    client = _client(live_server, signature_version=UNSIGNED)
    assert error_of(client.list_keys)[0] == "MissingAuthenticationTokenException"


def test_wrong_secret_is_a_bad_signature(world, live_server):
    code, message = error_of(_client(live_server, (OWNER_ROOT[0], "wrong-secret")).list_keys)
    assert code == "InvalidSignatureException"
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


def test_unknown_access_key(world, live_server):
    assert error_of(_client(live_server, ("AKIAUNKNOWNKEY000001", "whatever")).list_keys) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.")


def test_inactive_access_key(world, live_server):
    assert error_of(_client(live_server, DORMANT).list_keys)[0] == "UnrecognizedClientException"


def test_signature_dated_more_than_five_minutes_ago(world, live_server, monkeypatch):
    # botocore stamps X-Amz-Date from this function; the server's clock is untouched.
    skewed = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=6)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: skewed)
    code, message = error_of(_client(live_server).list_keys)
    assert code == "InvalidSignatureException" and message.startswith("Signature expired:")


def test_signature_dated_four_minutes_ago_is_accepted(world, live_server, monkeypatch):
    skewed = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=4)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: skewed)
    assert "Keys" in _client(live_server).list_keys()


def test_unknown_region_in_the_credential_scope(world, live_server):
    code, message = error_of(_client(live_server, region="xx-nowhere-1").list_keys)
    assert code == "InvalidSignatureException" and "xx-nowhere-1" in message


def test_the_scope_region_is_where_the_call_acts(world, live_server):
    # Signed for us-east-1: the key id means a key there, and a us-west-2 ARN is refused.
    client = _client(live_server, region="us-east-1")
    assert error_of(client.describe_key, KeyId=SHARED_KEY_ID)[0] == "NotFoundException"
    assert error_of(client.describe_key, KeyId=SHARED_KEY_ARN) == ("NotFoundException", f"Invalid arn {REGION}")


def test_opt_in_region_the_account_has_not_enabled(world, live_server):
    assert error_of(_client(live_server, region="af-south-1").list_keys) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.")
