"""Errors of the REST API as RFC 9457 problem details (`application/problem+json`).

Every error names its AWS error code in `code` (what the AWS API would have answered), the request id in
`requestId` (the audit record of the call carries it too) and, for bad input, the request member at fault in
`field`. The HTTP status is the REST reading of the AWS error: 401 for a refused signature, 403 for a
denial, 404 for what the caller cannot find, 409 for a state conflict, 400 for the rest of the client's
mistakes.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from awsapi.errors import AwsError
from kmsconsole import statecache
from restapi.auth import SignatureRefused

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_STATUS_BY_CODE = {
    "MissingAuthenticationTokenException": 401,
    "IncompleteSignatureException": 401,
    "InvalidSignatureException": 401,
    "UnrecognizedClientException": 401,
    "ExpiredTokenException": 401,
    "AccessDeniedException": 403,
    "NotFoundException": 404,
    "NoSuchEntityException": 404,
    "AlreadyExistsException": 409,
    "EntityAlreadyExistsException": 409,
    "ConflictException": 409,
    "DeleteConflictException": 409,
    "KMSInvalidStateException": 409,
    "DisabledException": 409,
}

# DRF's own refusals (before any operation runs), spelled with the AWS code that means the same.
_DRF_CODES = {
    exceptions.NotAuthenticated: "MissingAuthenticationTokenException",
    exceptions.ParseError: "SerializationException",
    exceptions.UnsupportedMediaType: "SerializationException",
    exceptions.MethodNotAllowed: "MethodNotAllowed",
    exceptions.NotAcceptable: "NotAcceptable",
    exceptions.NotFound: "NotFoundException",
    exceptions.ValidationError: "ValidationException",
    exceptions.Throttled: "ThrottlingException",
}


class ProblemRenderer(JSONRenderer):
    media_type = PROBLEM_JSON
    format = "problem"


def problem(status: int, code: str, detail: str, *, request=None, field: str | None = None,
            **members) -> Response:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
            "code": code}
    if request is not None:
        body["instance"] = request.path
        body["requestId"] = getattr(request._request, "request_id", "")
    if field:
        body["field"] = field
    body.update(members)
    return Response(body, status=status)


def status_of(error: AwsError) -> int:
    if error.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[error.code]
    return error.status if error.status >= 400 else 400


# AWS's validation message names the member in camelCase: "Value '0' at 'numberOfBytes' failed to satisfy...".
_MEMBER_IN_MESSAGE = re.compile(r"Value .* at '([A-Za-z0-9_.]+)' failed to satisfy")


def from_aws_error(error: AwsError, request, **members) -> Response:
    field = error.field
    if field is None and error.code == "ValidationException":
        found = _MEMBER_IN_MESSAGE.search(error.message or "")
        if found:
            field = ".".join(part[:1].upper() + part[1:] for part in found.group(1).split("."))
    return problem(status_of(error), error.code, error.message or error.code, request=request, field=field,
                   **members)


def _first_field(detail, prefix: str = "") -> tuple[str | None, str]:
    """(field path, message) of the first problem in a DRF ValidationError's detail."""
    if isinstance(detail, dict):
        for name, inner in detail.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            return _first_field(inner, "" if name == "non_field_errors" else path)
    if isinstance(detail, list) and detail:
        return _first_field(detail[0], prefix)
    return prefix or None, str(detail)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER for the REST API's views (restapi.base.ApiView)."""
    if isinstance(exc, statecache.Stale):
        return None  # not an answer: the view runs the request again on fresh state (restapi.base)
    request = context["request"]
    response = _problem_for(exc, request)
    if isinstance(exc, exceptions.NotAuthenticated | SignatureRefused):
        response["WWW-Authenticate"] = context["view"].get_authenticate_header(request) or "AWS4-HMAC-SHA256"
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    # The browsable API shows a problem as its HTML page; every other client gets problem+json.
    if getattr(request, "accepted_renderer", None) is None or request.accepted_renderer.format != "api":
        request.accepted_renderer = ProblemRenderer()
        request.accepted_media_type = PROBLEM_JSON
        response.content_type = PROBLEM_JSON
    return response


def _problem_for(exc, request) -> Response:
    if isinstance(exc, SignatureRefused):
        return from_aws_error(exc.aws_error, request)
    if isinstance(exc, AwsError):
        findings = getattr(exc, "findings", None)  # a refused policy's validator findings
        return from_aws_error(exc, request, **({"findings": findings} if findings is not None else {}))
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_field(exc.detail)
        return problem(400, "ValidationException", message, request=request, field=field,
                       errors=exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
    if isinstance(exc, exceptions.APIException):
        code = next((c for kind, c in _DRF_CODES.items() if isinstance(exc, kind)), None)
        if code is None:
            code = exc.get_codes() if isinstance(exc.get_codes(), str) else "AccessDeniedException"
            if code == "permission_denied":
                code = "AccessDeniedException"
        status = 401 if isinstance(exc, exceptions.NotAuthenticated) else exc.status_code
        return problem(status, code, str(exc.detail), request=request)
    if isinstance(exc, RequestDataTooBig):
        return problem(413, "RequestEntityTooLarge", "Request Entity Too Large", request=request)
    if isinstance(exc, DatabaseError):
        log.warning("database unavailable for a REST API request", exc_info=True)
        return problem(503, "ServiceUnavailable", "Service is unavailable. Please retry.", request=request)
    log.exception("unexpected error in a REST API request")
    return problem(500, "InternalFailure", "An internal error occurred.", request=request)
