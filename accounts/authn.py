"""Authenticate an AWS API request: SigV4 header -> access key -> Principal.

The signature arithmetic lives in accounts.sigv4 (pure); this module adds what needs the database:
the access key, its secret, the session token of ASIA keys and the account's enabled regions.
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.utils import timezone

from accounts import sigv4
from accounts.models import AccessKey
from accounts.principals import Principal
from accounts.regions import is_known_region
from awsapi import errors
from kmsconsole import statecache

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    region: str
    service: str


def _as_aws_error(err: "sigv4.SigV4Error") -> errors.AwsError:
    by_kind = {
        "missing": errors.MissingAuthenticationTokenException,
        "incomplete": errors.IncompleteSignatureException,
    }
    return by_kind.get(err.kind, errors.InvalidSignatureException)(err.message)


def request_headers(request) -> dict[str, str]:
    """Lower-cased header names to values, as the client sent them (Django folds them into META)."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    return headers


def authenticate(request, *, body: bytes, expected_service: str | None = None) -> Authenticated:
    headers = request_headers(request)
    try:
        signed = sigv4.parse_authorization(headers)
        sigv4.check_scope(signed, expected_service=expected_service)
    except sigv4.SigV4Error as err:
        raise _as_aws_error(err) from None
    if not is_known_region(signed.region):
        raise _as_aws_error(sigv4.SigV4Error.invalid_region(signed.region))
    try:
        sigv4.check_clock_skew(signed, timezone.now())
    except sigv4.SigV4Error as err:
        raise _as_aws_error(err) from None

    access_key, secret = statecache.get("access_key", signed.access_key_id,
                                        lambda: _load_access_key(signed.access_key_id))
    if access_key is None or access_key.status != AccessKey.ACTIVE:
        raise errors.UnrecognizedClientException(INVALID_TOKEN)
    if access_key.session is not None or access_key.expires_at is not None:
        _check_session_token(access_key, signed.security_token)
    elif signed.security_token:
        # A long-term (AKIA) key has no session: a token sent with it is one AWS did not issue for it.
        raise errors.UnrecognizedClientException(INVALID_TOKEN)

    try:
        sigv4.verify_signature(
            signed,
            method=request.method,
            host=headers.get("host", ""),
            path=request.path,
            query_string=request.META.get("QUERY_STRING", ""),
            headers=headers,
            body=body,
            secret_access_key=secret,
        )
    except sigv4.SigV4Error as err:
        raise _as_aws_error(err) from None

    # Opt-in regions the account has not enabled do not accept its credentials at all.
    if not access_key.account.region_enabled(signed.region):
        raise errors.UnrecognizedClientException(INVALID_TOKEN)

    return Authenticated(principal=principal_for_key(access_key), region=signed.region, service=signed.service)


def _load_access_key(access_key_id: str) -> tuple[AccessKey | None, str | None]:
    access_key = (
        AccessKey.objects.select_related("account", "user", "user__account", "session", "session__role",
                                         "session__role__account")
        .filter(access_key_id=access_key_id)
        .first()
    )
    return (access_key, access_key.secret_access_key) if access_key else (None, None)


def _check_session_token(access_key: AccessKey, token: str | None):
    # Role-session keys keep token and expiry on the RoleSession; GetSessionToken keys on themselves.
    session = access_key.session or access_key
    expected = access_key.session.token_digest if access_key.session else access_key.session_token_digest
    if not token:
        raise errors.UnrecognizedClientException(INVALID_TOKEN)
    digest = hashlib.sha256(token.encode()).hexdigest()
    if not hmac.compare_digest(digest, expected):
        raise errors.UnrecognizedClientException(INVALID_TOKEN)
    if session.expires_at <= timezone.now():
        raise errors.ExpiredTokenException(EXPIRED_TOKEN)


def principal_for_key(access_key: AccessKey) -> Principal:
    if access_key.session is not None:
        return Principal.for_session(access_key.session, access_key.access_key_id)
    if access_key.user is not None:
        return Principal.for_user(access_key.user, access_key.access_key_id)
    return Principal.root(access_key.account, access_key.access_key_id)
