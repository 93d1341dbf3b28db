"""SigV4 verification against requests signed by botocore exactly as boto3 and the AWS CLI sign them."""

import dataclasses
import hashlib
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import sigv4
from accounts.sigv4 import (
    SIGNATURE_MISMATCH_MESSAGE,
    SigV4Error,
    check_clock_skew,
    check_scope,
    parse_authorization,
    verify_signature,
)

ACCESS_KEY = "AKIAOWNERROOT0000001"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HOST = "127.0.0.1:8000"
BODY = b'{"KeyId": "alias/ExampleKey", "Plaintext": "aGVsbG8="}'


@dataclasses.dataclass
class Received:
    """A request as the server sees it: lower-case header names, Host added by the HTTP client."""

    headers: dict
    body: bytes
    method: str = "POST"
    host: str = HOST
    path: str = "/"
    query_string: str = ""

    def verify(self, secret=SECRET, **changes):
        signed = parse_authorization(self.headers)
        arguments = dict(
            method=self.method,
            host=self.host,
            path=self.path,
            query_string=self.query_string,
            headers=self.headers,
            body=self.body,
            secret_access_key=secret,
        )
        arguments.update(changes)
        verify_signature(signed, **arguments)
        return signed


class RecordingSigner(SigV4Auth):
    """botocore's signer, keeping the canonical request it signed."""

    def canonical_request(self, request):
        self.recorded = super().canonical_request(request)
        return self.recorded


def sign(
    body=BODY,
    *,
    target="TrentService.Encrypt",
    extra_headers=None,
    token=None,
    service="kms",
    region="us-east-2",
    url=f"http://{HOST}/",
    content_type="application/x-amz-json-1.1",
):
    headers = {"Content-Type": content_type, "User-Agent": "Boto3/1.44.5 md/Botocore#1.44.5"}
    if target:
        headers["X-Amz-Target"] = target
    headers.update(extra_headers or {})
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    signer = RecordingSigner(Credentials(ACCESS_KEY, SECRET, token), service, region)
    signer.add_auth(request)
    received = {name.lower(): value for name, value in request.headers.items()}
    received.setdefault("host", url.split("/")[2])
    return Received(headers=received, body=body, host=url.split("/")[2]), signer.recorded


def expect(kind, call, *args, **kwargs):
    with pytest.raises(SigV4Error) as refused:
        call(*args, **kwargs)
    assert refused.value.kind == kind
    return refused.value


# ---- accepted --------------------------------------------------------------------------------------------


def test_kms_request_signed_like_boto3_verifies():
    received, _ = sign()
    signed = received.verify()
    assert signed.access_key_id == ACCESS_KEY
    assert (signed.region, signed.service) == ("us-east-2", "kms")
    assert signed.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-target")
    assert signed.security_token is None
    assert abs(signed.amz_date - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_session_token_is_signed_and_reported():
    received, _ = sign(token="FwoGZXIvYXdzEXAMPLETOKEN")
    signed = received.verify()
    assert "x-amz-security-token" in signed.signed_headers
    assert signed.security_token == "FwoGZXIvYXdzEXAMPLETOKEN"


def test_server_canonical_request_is_byte_identical_to_the_clients():
    received, client_canonical = sign(token="tok")
    signed = parse_authorization(received.headers)
    header_map = sigv4._signed_header_map(signed, received.headers)
    canonical, string_to_sign, _ = sigv4._recompute(signed, SECRET, header_map, "POST", f"http://{HOST}/", BODY)
    assert canonical == client_canonical
    assert "host:127.0.0.1:8000" in canonical.split("\n")
    assert canonical.endswith(hashlib.sha256(BODY).hexdigest())
    assert string_to_sign.split("\n")[2] == f"{signed.scope_date}/us-east-2/kms/aws4_request"


def test_request_captured_from_a_real_boto3_client_verifies():
    captured = {}

    class Captured(Exception):
        pass

    def capture(request, **_):
        captured["request"] = request
        raise Captured()

    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET, aws_session_token="tok", region_name="us-west-2"
    )
    client = session.client("kms", endpoint_url=f"http://{HOST}")
    client.meta.events.register("before-send.kms.Encrypt", capture)
    with pytest.raises(Captured):
        client.encrypt(KeyId="alias/ExampleKey", Plaintext=b"hello", EncryptionContext={"a": "b"})

    sent = captured["request"]
    headers = {name.lower(): (value.decode() if isinstance(value, bytes) else value) for name, value in sent.headers.items()}
    headers["host"] = HOST  # added by urllib3 on the wire
    signed = parse_authorization(headers)
    check_clock_skew(signed, datetime.now(timezone.utc))
    check_scope(signed, expected_service="kms")
    verify_signature(
        signed, method="POST", host=HOST, path="/", query_string="", headers=headers, body=sent.body,
        secret_access_key=SECRET,
    )
    assert signed.region == "us-west-2" and signed.security_token == "tok"


def test_sts_query_request_verifies_with_service_sts():
    body = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FExampleRole"
    received, _ = sign(body, target=None, service="sts", content_type="application/x-www-form-urlencoded; charset=utf-8")
    signed = received.verify()
    check_scope(signed, expected_service="sts")


def test_default_https_port_and_a_date_header_instead_of_x_amz_date():
    received, _ = sign(url="https://kms.us-east-2.amazonaws.com/", extra_headers={"Date": "ignored, botocore resets it"})
    assert "x-amz-date" not in received.headers and "date" in received.headers
    received.verify()


def test_headers_that_were_not_signed_may_change():
    received, _ = sign()
    received.headers["user-agent"] = "something else"
    received.headers["x-forwarded-for"] = "10.0.0.1"
    received.verify()


def test_header_names_are_matched_case_insensitively():
    received, _ = sign()
    received.headers = {name.title(): value for name, value in received.headers.items()}
    received.verify()


def test_empty_body_verifies():
    received, _ = sign(b"")
    received.verify()


# ---- signature mismatch ----------------------------------------------------------------------------------


def test_one_changed_body_byte_is_a_signature_mismatch():
    received, _ = sign()
    for position in (0, len(BODY) // 2, len(BODY) - 1):
        changed = bytearray(BODY)
        changed[position] ^= 0x01
        error = expect("signature_mismatch", received.verify, body=bytes(changed))
        assert error.message == SIGNATURE_MISMATCH_MESSAGE
        assert (error.json_code, error.json_status) == ("InvalidSignatureException", 400)
        assert (error.query_code, error.query_status) == ("SignatureDoesNotMatch", 403)


@pytest.mark.parametrize("header", ["content-type", "x-amz-target", "host", "x-amz-security-token"])
def test_changed_signed_header_value_is_a_signature_mismatch(header):
    received, _ = sign(token="tok")
    received.headers[header] = received.headers[header] + "x"
    expect("signature_mismatch", received.verify)


def test_wrong_secret_method_path_or_query_is_a_signature_mismatch():
    received, _ = sign()
    expect("signature_mismatch", received.verify, secret=SECRET[:-1] + "X")
    expect("signature_mismatch", received.verify, method="PUT")
    expect("signature_mismatch", received.verify, path="/other")
    expect("signature_mismatch", received.verify, query_string="Action=Encrypt")


def test_other_port_in_host_is_a_signature_mismatch():
    received, _ = sign()
    received.headers["host"] = "127.0.0.1:8001"
    expect("signature_mismatch", received.verify, host="127.0.0.1:8001")


def test_signed_header_missing_from_the_request_is_a_signature_mismatch():
    received, _ = sign()
    del received.headers["x-amz-target"]
    expect("signature_mismatch", received.verify)


def test_tampered_signature_is_a_signature_mismatch():
    received, _ = sign()
    received.headers["authorization"] = received.headers["authorization"][:-1] + (
        "0" if not received.headers["authorization"].endswith("0") else "1"
    )
    expect("signature_mismatch", received.verify)


def test_a_signed_payload_hash_must_match_the_body():
    # UNSIGNED-PAYLOAD is signed honestly here, but would let anyone swap the body.
    received, _ = sign(extra_headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    expect("signature_mismatch", received.verify)
    honest, _ = sign(extra_headers={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    honest.verify()


# ---- missing and incomplete ------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "", "   "])
def test_no_authorization_is_a_missing_token(authorization):
    headers = {"host": HOST, "x-amz-date": "20240820T230143Z"}
    if authorization is not None:
        headers["authorization"] = authorization
    error = expect("missing", parse_authorization, headers)
    assert error.message == "Missing Authentication Token"
    assert (error.json_code, error.json_status) == ("MissingAuthenticationTokenException", 400)
    assert (error.query_code, error.query_status) == ("MissingAuthenticationToken", 403)


def test_foreign_authorization_lists_every_missing_part_like_aws():
    error = expect("incomplete", parse_authorization, {"authorization": "Bearer abc.def", "host": HOST})
    assert error.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=Bearer abc.def"
    )
    assert (error.json_code, error.query_code, error.query_status) == (
        "IncompleteSignatureException",
        "IncompleteSignature",
        400,
    )


def test_only_the_missing_parts_are_listed():
    received, _ = sign()
    authorization = received.headers["authorization"]
    without_signature = authorization[: authorization.index(", Signature=")]
    received.headers["authorization"] = without_signature
    error = expect("incomplete", parse_authorization, received.headers)
    assert error.message == f"Authorization header requires 'Signature' parameter. Authorization={without_signature}"

    received.headers["authorization"] = authorization
    del received.headers["x-amz-date"]
    error = expect("incomplete", parse_authorization, received.headers)
    assert error.message.startswith("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")


def test_credential_needs_five_elements():
    received, _ = sign()
    received.headers["authorization"] = received.headers["authorization"].replace("/kms/aws4_request", "/kms")
    error = expect("incomplete", parse_authorization, received.headers)
    assert error.message.startswith("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '")


def test_host_must_be_a_signed_header():
    received, _ = sign()
    received.headers["authorization"] = received.headers["authorization"].replace("content-type;host;", "content-type;")
    error = expect("incomplete", parse_authorization, received.headers)
    assert error.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


def test_malformed_x_amz_date_is_incomplete():
    received, _ = sign()
    received.headers["x-amz-date"] = "2024-08-20T23:01:43Z"
    expect("incomplete", parse_authorization, received.headers)


def test_other_algorithm_is_incomplete():
    received, _ = sign()
    received.headers["authorization"] = received.headers["authorization"].replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    error = expect("incomplete", parse_authorization, received.headers)
    assert "AWS4-HMAC-SHA512" in error.message


# ---- clock skew ------------------------------------------------------------------------------------------


def signed_at(amz_date_text):
    received, _ = sign()
    signed = parse_authorization(received.headers)
    moment = datetime.strptime(amz_date_text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return dataclasses.replace(signed, amz_date=moment, scope_date=amz_date_text[:8])


def at(text):
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def test_request_six_minutes_old_has_expired_with_the_aws_message():
    error = expect("expired", check_clock_skew, signed_at("20240820T230143Z"), at("20240820T230802Z"))
    assert error.message == (
        "Signature expired: 20240820T230143Z is now earlier than 20240820T230302Z (20240820T230802Z - 5 min.)"
    )
    assert (error.json_code, error.query_code, error.query_status) == (
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        403,
    )


def test_request_six_minutes_ahead_is_not_yet_current_with_the_aws_message():
    error = expect("not_yet_current", check_clock_skew, signed_at("20181002T170509Z"), at("20181002T165812Z"))
    assert error.message == (
        "Signature not yet current: 20181002T170509Z is still later than 20181002T170312Z (20181002T165812Z + 5 min.)"
    )


def test_six_minutes_both_ways_from_a_live_signature():
    received, _ = sign()
    signed = parse_authorization(received.headers)
    expect("expired", check_clock_skew, signed, signed.amz_date + timedelta(minutes=6))
    expect("not_yet_current", check_clock_skew, signed, signed.amz_date - timedelta(minutes=6))


def test_exactly_five_minutes_either_way_is_still_accepted():
    signed = signed_at("20240820T230000Z")
    check_clock_skew(signed, at("20240820T230500Z"))
    check_clock_skew(signed, at("20240820T225500Z"))
    check_clock_skew(signed, at("20240820T230500Z").replace(tzinfo=None))  # naive means UTC


def test_one_second_past_five_minutes_is_refused():
    signed = signed_at("20240820T230000Z")
    expect("expired", check_clock_skew, signed, at("20240820T230501Z"))
    expect("not_yet_current", check_clock_skew, signed, at("20240820T225459Z"))


def test_a_longer_window_is_reported_in_the_message():
    error = expect(
        "expired", check_clock_skew, signed_at("20240820T230000Z"), at("20240820T232000Z"), window=timedelta(minutes=15)
    )
    assert error.message.endswith("(20240820T232000Z - 15 min.)")


def test_now_in_another_time_zone_is_compared_in_utc():
    signed = signed_at("20240820T230000Z")
    check_clock_skew(signed, datetime(2024, 8, 21, 1, 2, tzinfo=timezone(timedelta(hours=2))))


# ---- scope -----------------------------------------------------------------------------------------------


def test_wrong_service_is_a_bad_scope_with_the_aws_message():
    received, _ = sign(service="sts")
    signed = parse_authorization(received.headers)
    error = expect("bad_scope", check_scope, signed, expected_service="kms")
    assert error.message == "Credential should be scoped to correct service: 'kms'. "
    assert (error.json_code, error.query_code, error.query_status) == (
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        403,
    )


def test_wrong_terminator_is_a_bad_scope():
    received, _ = sign()
    received.headers["authorization"] = received.headers["authorization"].replace("/aws4_request", "/aws5_request")
    signed = parse_authorization(received.headers)
    error = expect("bad_scope", check_scope, signed)
    assert error.message.startswith("Credential should be scoped with a valid terminator: 'aws4_request'")
    expect("bad_scope", received.verify)


def test_scope_date_must_be_the_request_date():
    received, _ = sign()
    signed = parse_authorization(received.headers)
    other_day = (signed.amz_date - timedelta(days=1)).strftime("%Y%m%d")
    received.headers["authorization"] = received.headers["authorization"].replace(
        f"/{signed.scope_date}/", f"/{other_day}/"
    )
    wrong = parse_authorization(received.headers)
    error = expect("bad_scope", check_scope, wrong)
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        f"'{other_day}' != '{signed.scope_date}', from '{signed.amz_date_text}'."
    )
    expect("bad_scope", received.verify)


def test_region_is_left_to_the_caller_with_a_ready_error():
    received, _ = sign(region="xx-nowhere-1")
    check_scope(parse_authorization(received.headers), expected_service="kms")
    error = SigV4Error.invalid_region("xx-nowhere-1")
    assert error.kind == "bad_scope"
    assert error.message == "Credential should be scoped to a valid region, not 'xx-nowhere-1'. "


def test_unknown_error_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        SigV4Error("nonsense", "message")


# ---- any body, any headers -------------------------------------------------------------------------------

header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40).filter(
    lambda value: value.strip()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=500), extra=st.dictionaries(st.sampled_from(["x-amz-meta", "x-custom-a", "x-custom-b"]), header_values, max_size=3), flip=st.integers(min_value=0))
def test_any_body_and_headers_verify_and_any_body_change_is_caught(body, extra, flip):
    received, _ = sign(body, extra_headers=extra)
    received.verify()
    if body:
        changed = bytearray(body)
        changed[flip % len(body)] ^= 0x01
        expect("signature_mismatch", received.verify, body=bytes(changed))
    else:
        expect("signature_mismatch", received.verify, body=b"x")
