"""Who calls the REST API: an IAM principal, and nothing else.

Two ways to prove it:
- a SigV4-signed request with any access key of a scenario, scope service `kmsconsole` (the same
  verification as the AWS endpoint, accounts.authn; only the service in the scope differs), in the
  region of the scope;
- the console's session (accounts.console_session: the signed-in user, or the role switched into), in the
  console's region, with Django's CSRF check on unsafe methods as every console form has.

Django users (operators) are not principals: an operator signed in to the admin still needs a console
session to call the API, and may then see the operator's view where the API offers one.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from accounts.authn import authenticate
from accounts.console_session import load_console
from accounts.principals import Principal
from awsapi.errors import AwsError

SIGV4_SERVICE = "kmsconsole"
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass
class ApiCaller:
    """request.user of the REST API: the principal, the region its calls run in, and how it signed in."""

    principal: Principal
    region: str
    via_console: bool
    operator: bool = False
    is_authenticated: bool = True
    is_active: bool = True

    def __str__(self):
        return self.principal.arn


class SignatureRefused(exceptions.AuthenticationFailed):
    """A SigV4 request AWS would refuse; carries the AWS error (InvalidSignatureException...)."""

    def __init__(self, error: AwsError):
        super().__init__(error.message or error.code, code=error.code)
        self.aws_error = error


class CsrfRefused(exceptions.PermissionDenied):
    default_code = "CsrfTokenMissingOrIncorrect"


class SigV4Authentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(SIGV4_ALGORITHM):
            return None  # not a SigV4 request: perhaps the console session
        django_request = request._request
        body = django_request.body
        try:
            result = authenticate(_as_signed(django_request, body), body=body, expected_service=SIGV4_SERVICE)
        except AwsError as error:
            raise SignatureRefused(error) from None
        return ApiCaller(principal=result.principal, region=result.region, via_console=False), None

    def authenticate_header(self, request):
        # A 401 names the scheme to use (RFC 9110 §11.6.1).
        return f'{SIGV4_ALGORITHM} service="{SIGV4_SERVICE}"'


def _as_signed(django_request, body: bytes):
    """The request as accounts.authn reads it. A body-less request's Content-Type is left out unless signed:
    WSGI servers such as runserver invent `text/plain` for a request that sent none, and the URL, not a
    header, says what a REST call does (the AWS endpoint's rule that Content-Type be signed is about X-Amz-
    Target requests)."""
    headers = dict(django_request.headers)
    authorization = headers.get("Authorization", "")
    if not body and "content-type" not in authorization.lower():
        headers.pop("Content-Type", None)
    return SimpleNamespace(headers=headers, method=django_request.method, path=django_request.path,
                           META={"QUERY_STRING": django_request.META.get("QUERY_STRING", "")})


class ConsoleSessionAuthentication(SessionAuthentication):
    """The console's signed-in principal. Subclassing DRF's session authentication keeps its CSRF check and
    its OpenAPI description (cookie auth)."""

    def authenticate(self, request):
        django_request = request._request
        console = load_console(django_request)
        if console is None:
            return None
        try:
            self.enforce_csrf(request)
        except exceptions.PermissionDenied as refused:
            raise CsrfRefused(str(refused.detail)) from None
        staff = getattr(django_request, "user", None)
        operator = bool(getattr(staff, "is_active", False) and getattr(staff, "is_staff", False))
        return ApiCaller(principal=console.principal, region=console.region, via_console=True,
                         operator=operator), None
