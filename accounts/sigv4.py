"""Verification of header-signed AWS Signature Version 4 requests (kms.md §1.5). No Django here.

The canonical request, string to sign and signing key come from botocore's own SigV4Auth, the code boto3 and
the AWS CLI sign with, so the server computes byte for byte what the client signed. Only the choice of headers
differs: the client signs "every header but a blacklist", the server must sign exactly the client's
SignedHeaders list, so that one method is overridden. add_auth is never called: it would add headers.

Typical use by the endpoint (check order as on AWS: format, then clock, then scope, then the secret):

    signed = parse_authorization(headers)              # SigV4Error missing / incomplete
    check_clock_skew(signed, now)                      # expired / not_yet_current
    check_scope(signed, expected_service="kms")        # bad_scope; the caller checks signed.region
    secret = ...look up signed.access_key_id...
    verify_signature(signed, method=..., host=..., path=..., query_string=..., headers=headers,
                     body=body, secret_access_key=secret)   # signature_mismatch

`headers` is a plain mapping of header names to values as received; names are matched case-insensitively
(pass lower-case names, e.g. built from Django's request.headers). Values must be the text the client sent
(Django's META decodes bytes as Latin-1, which only matters for non-ASCII values). `path` and `query_string`
are the raw, still percent-encoded forms from the request line.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from botocore.auth import SigV4Auth
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
SCOPE_DATE_FORMAT = "%Y%m%d"
DEFAULT_SKEW_WINDOW = timedelta(minutes=5)

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")

# kind -> (JSON protocol __type, Query protocol code, Query protocol HTTP status). JSON errors are all 400.
_ERROR_CODES = {
    "missing": ("MissingAuthenticationTokenException", "MissingAuthenticationToken", 403),
    "incomplete": ("IncompleteSignatureException", "IncompleteSignature", 400),
    "signature_mismatch": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
    "expired": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
    "not_yet_current": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
    "bad_scope": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
}

SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
HOST_NOT_SIGNED_MESSAGE = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
# Headers that choose what a request does: when sent, they must be signed, or a captured signature could be
# replayed (within the clock skew) as another operation. botocore and the AWS CLI always sign both.
MUST_BE_SIGNED_WHEN_PRESENT = {"x-amz-target": "X-Amz-Target", "content-type": "Content-Type"}


class SigV4Error(Exception):
    """A refused request: `kind` says why, `message` is AWS's text for it."""

    def __init__(self, kind: str, message: str):
        if kind not in _ERROR_CODES:
            raise ValueError(f"unknown SigV4 error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def json_code(self) -> str:
        return _ERROR_CODES[self.kind][0]

    @property
    def json_status(self) -> int:
        return 400

    @property
    def query_code(self) -> str:
        return _ERROR_CODES[self.kind][1]

    @property
    def query_status(self) -> int:
        return _ERROR_CODES[self.kind][2]

    @classmethod
    def invalid_region(cls, region: str) -> SigV4Error:
        """For the caller, which owns the region list."""
        return cls("bad_scope", f"Credential should be scoped to a valid region, not '{region}'. ")


@dataclass(frozen=True)
class SignedRequest:
    access_key_id: str
    scope_date: str  # YYYYMMDD as written in the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]  # lower-case, in the client's order
    signature: str
    amz_date: datetime  # UTC, from X-Amz-Date (or Date)
    security_token: str | None
    terminator: str = TERMINATOR

    @property
    def amz_date_text(self) -> str:
        return self.amz_date.strftime(AMZ_DATE_FORMAT)


# --------------------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------------------


def parse_authorization(headers: Mapping[str, str]) -> SignedRequest:
    lowered = _lower_case_names(headers)
    authorization = (lowered.get("authorization") or "").strip()
    if not authorization:
        raise SigV4Error("missing", "Missing Authentication Token")

    algorithm, _, parameter_text = authorization.partition(" ")
    parameters = _authorization_parameters(parameter_text)
    date_value = lowered.get("x-amz-date") or lowered.get("date")
    missing = _missing_parts(parameters, has_date=bool(date_value))
    if missing:
        raise SigV4Error("incomplete", " ".join(missing) + f" Authorization={authorization}")
    if algorithm != ALGORITHM:
        raise SigV4Error("incomplete", f"Unsupported AWS 'algorithm': '{algorithm}'")

    credential = parameters["Credential"]
    scope = credential.split("/")
    if len(scope) != 5:
        raise SigV4Error(
            "incomplete",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential}'",
        )
    signed_headers = tuple(name.strip().lower() for name in parameters["SignedHeaders"].split(";"))
    if "host" not in signed_headers:
        raise SigV4Error("incomplete", HOST_NOT_SIGNED_MESSAGE)
    for name, spelling in MUST_BE_SIGNED_WHEN_PRESENT.items():
        if name in lowered and name not in signed_headers:
            raise SigV4Error("incomplete", f"'{spelling}' must be a 'SignedHeader' in the AWS Authorization.")

    access_key_id, scope_date, region, service, terminator = scope
    return SignedRequest(
        access_key_id=access_key_id,
        scope_date=scope_date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=parameters["Signature"],
        amz_date=_parse_request_date(lowered),
        security_token=lowered.get("x-amz-security-token"),
        terminator=terminator,
    )


def _lower_case_names(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _authorization_parameters(text: str) -> dict[str, str]:
    """`Credential=..., SignedHeaders=..., Signature=...` -> dict; empty values count as absent."""
    parameters = {}
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        if name and value.strip():
            parameters[name] = value.strip()
    return parameters


def _missing_parts(parameters: Mapping[str, str], *, has_date: bool) -> list[str]:
    # Same order and wording as AWS's IncompleteSignatureException.
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in parameters
    ]
    if not has_date:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    return missing


def _parse_request_date(lowered: Mapping[str, str]) -> datetime:
    amz_date = lowered.get("x-amz-date")
    if amz_date:
        text = amz_date.strip()
        if _AMZ_DATE.fullmatch(text):
            try:  # the regex fixed every digit's place; datetime() checks the values (strptime is 10x slower)
                return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
                                int(text[13:15]), tzinfo=timezone.utc)
            except ValueError:
                pass
        raise _bad_date(amz_date)
    http_date = lowered["date"]
    try:
        parsed = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        raise _bad_date(http_date) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _bad_date(value: str) -> SigV4Error:
    return SigV4Error(
        "incomplete",
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


# --------------------------------------------------------------------------------------------------------------
# Clock and scope
# --------------------------------------------------------------------------------------------------------------


def check_clock_skew(signed: SignedRequest, now: datetime, window: timedelta = DEFAULT_SKEW_WINDOW) -> None:
    """Refuse a request dated more than `window` before or after `now` (a naive `now` is taken as UTC)."""
    now = _as_utc(now)
    minutes = f"{int(window.total_seconds() // 60)} min."
    if signed.amz_date < now - window:
        raise SigV4Error(
            "expired",
            f"Signature expired: {signed.amz_date_text} is now earlier than {_stamp(now - window)} "
            f"({_stamp(now)} - {minutes})",
        )
    if signed.amz_date > now + window:
        raise SigV4Error(
            "not_yet_current",
            f"Signature not yet current: {signed.amz_date_text} is still later than {_stamp(now + window)} "
            f"({_stamp(now)} + {minutes})",
        )


def check_scope(signed: SignedRequest, *, expected_service: str | None = None) -> None:
    """Terminator, scope date against the request date, and (when given) the service. The region is the
    caller's to check against its region list (SigV4Error.invalid_region)."""
    if signed.terminator != TERMINATOR:
        raise SigV4Error(
            "bad_scope",
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{signed.terminator}'. ",
        )
    request_day = signed.amz_date.strftime(SCOPE_DATE_FORMAT)
    if signed.scope_date != request_day:
        raise SigV4Error(
            "bad_scope",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{signed.scope_date}' != '{request_day}', from '{signed.amz_date_text}'.",
        )
    if expected_service is not None and signed.service != expected_service:
        raise SigV4Error("bad_scope", f"Credential should be scoped to correct service: '{expected_service}'. ")


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _stamp(moment: datetime) -> str:
    return moment.strftime(AMZ_DATE_FORMAT)


# --------------------------------------------------------------------------------------------------------------
# Signature
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _ReceivedRequest:
    """What botocore's signer reads of a request. Not an AWSRequest: that one prepares itself again (URL,
    headers, body) each time the signer reads its .body, which was a tenth of a verification."""

    method: str
    url: str
    headers: HTTPHeaders
    body: bytes
    params: dict
    context: dict


class _ReceivedRequestSigner(SigV4Auth):
    """botocore's signer, told to sign exactly the headers the client listed in SignedHeaders."""

    def __init__(self, signed: SignedRequest, secret_access_key: str, header_map: HTTPHeaders):
        credentials = Credentials(signed.access_key_id, secret_access_key, signed.security_token)
        super().__init__(credentials, signed.service, signed.region)
        self._header_map = header_map

    def headers_to_sign(self, request):
        return self._header_map


def verify_signature(
    signed: SignedRequest,
    *,
    method: str,
    host: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_access_key: str,
) -> None:
    """Recompute the signature with the secret and compare in constant time. `host` fills the Host header
    when `headers` lacks it. Also runs check_scope's date and terminator checks, because the signing key is
    derived from the scope and botocore derives it from the request date."""
    check_scope(signed)
    if "host" not in signed.signed_headers:
        raise SigV4Error("incomplete", HOST_NOT_SIGNED_MESSAGE)
    lowered = _lower_case_names(headers)
    lowered.setdefault("host", host)
    header_map = _signed_header_map(signed, lowered)
    _check_declared_payload_hash(lowered, signed, body)

    url = _request_url(host, path, query_string)
    _, _, expected = _recompute(signed, secret_access_key, header_map, method, url, body)
    if not hmac.compare_digest(expected.encode(), signed.signature.encode("utf-8", "replace")):
        raise SigV4Error("signature_mismatch", SIGNATURE_MISMATCH_MESSAGE)


def _recompute(
    signed: SignedRequest, secret_access_key: str, header_map: HTTPHeaders, method: str, url: str, body: bytes
) -> tuple[str, str, str]:
    """(canonical request, string to sign, signature) exactly as botocore computes them for the client."""
    request = _ReceivedRequest(method, url, header_map, body, {}, {"timestamp": signed.amz_date_text})
    signer = _ReceivedRequestSigner(signed, secret_access_key, header_map)
    canonical_request = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical_request)
    return canonical_request, string_to_sign, signer.signature(string_to_sign, request)


def _signed_header_map(signed: SignedRequest, lowered: Mapping[str, str]) -> HTTPHeaders:
    header_map = HTTPHeaders()
    for name in dict.fromkeys(signed.signed_headers):
        if name not in lowered:
            # The client signed a header we did not receive: nothing we compute can match.
            raise SigV4Error("signature_mismatch", SIGNATURE_MISMATCH_MESSAGE)
        header_map[name] = lowered[name]
    return header_map


def _check_declared_payload_hash(lowered: Mapping[str, str], signed: SignedRequest, body: bytes) -> None:
    # botocore trusts a signed X-Amz-Content-SHA256 as the payload hash; the body must then really hash to it,
    # or a signed header could vouch for any body (UNSIGNED-PAYLOAD included).
    if "x-amz-content-sha256" not in signed.signed_headers:
        return
    if lowered["x-amz-content-sha256"].strip() != hashlib.sha256(body).hexdigest():
        raise SigV4Error("signature_mismatch", SIGNATURE_MISMATCH_MESSAGE)


def _request_url(host: str, path: str, query_string: str) -> str:
    # The scheme only decides whether botocore may skip payload signing; http makes it always hash the body.
    url = f"http://{host}{path or '/'}"
    return f"{url}?{query_string}" if query_string else url
