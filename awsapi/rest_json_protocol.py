"""restJson1: the protocol of IAM Access Analyzer (botocore's "rest-json").

The operation is named by the HTTP method and path (`POST /policy/validation` is ValidatePolicy), members
travel in the JSON body or, where the model says so, in the query string; errors name their code in the
`x-amzn-ErrorType` header. Requests reach this module when their path is one of the service's routes and
their SigV4 credential scope names its signing service (`access-analyzer`): the scope is what routes a
signed request to a service on this one endpoint, as the Query protocol's scope picks STS or IAM.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import parse_qsl

from django.http import HttpResponse

from awsapi import errors, json_protocol, shapes

CONTENT_TYPE = "application/json"
# botocore's service name (its model's directory) -> the SigV4 signing name clients put in the scope.
SERVICES = {"accessanalyzer": "access-analyzer"}
_SIGNING_NAMES = {signing: service for service, signing in SERVICES.items()}
_SCOPE_SERVICE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")


class ValidationException(errors.ValidationException):
    """Access Analyzer's ValidationException carries a `reason` (and, for bad fields, `fieldList`)."""

    def __init__(self, message: str, *, reason: str = "fieldValidationFailed", fields: list | None = None):
        super().__init__(message)
        self.reason = reason
        self.fields = fields or []


InternalServerException = errors._error("InternalServerException", status=500)
InvalidParameterException = errors._error("InvalidParameterException")
UnprocessableEntityException = errors._error("UnprocessableEntityException", status=422)


@lru_cache(maxsize=None)
def _routes(service: str) -> list[tuple[str, re.Pattern, str]]:
    """(method, path pattern, operation) for every operation of the service's model."""
    model = shapes.service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?", 1)[0]
        pattern = re.escape(path)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        routes.append((http["method"], re.compile(pattern + r"\Z"), name))
    return routes


def signing_service(request) -> str | None:
    """The botocore service a request is signed for, when it is a restJson1 service of this endpoint."""
    match = _SCOPE_SERVICE.search(request.headers.get("Authorization", ""))
    return _SIGNING_NAMES.get(match.group(1)) if match else None


def route(service: str, method: str, path: str) -> tuple[str | None, bool]:
    """(operation, path known): the operation a method and path name; (None, True) when the path is the
    service's but not with this method."""
    known = False
    for route_method, pattern, operation in _routes(service):
        if pattern.match(path):
            if route_method == method:
                return operation, True
            known = True
    return None, known


def is_route(service: str, path: str) -> bool:
    return any(pattern.match(path) for _, pattern, _ in _routes(service))


def request_members(service: str, operation: str, query_string: str, body: bytes) -> dict:
    """The wire members of a request: its JSON body plus the model's query-string members."""
    members = json_protocol.parse_body(body)
    op = shapes.operation_model(service, operation)
    if op is None or op.input_shape is None:
        return members
    query = dict(parse_qsl(query_string, keep_blank_values=True))
    for name, shape in op.input_shape.members.items():
        location = shape.serialization.get("location")
        wire_name = shape.serialization.get("name", name)
        if location == "querystring" and wire_name in query:
            members[name] = _query_value(shape, query[wire_name], wire_name)
    return members


def _query_value(shape, text: str, wire_name: str):
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise ValidationException(f"Invalid value for query parameter {wire_name}: {text!r} is not an integer.",
                                      fields=[{"name": wire_name, "message": "must be an integer"}]) from None
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def handle(request, service: str, request_id: str, body: bytes) -> HttpResponse:
    """Authenticate, route by method and path, run the operation as the caller, answer in restJson1."""
    from accounts.authn import authenticate
    from awsapi.dispatch import Call, execute, lookup
    from awsapi.endpoint import client_ip

    try:
        auth = authenticate(request, body=body, expected_service=SERVICES[service])
        operation, _ = route(service, request.method, request.path_info)
        if operation is None or lookup(service, operation) is None:
            raise ValidationException(f"{request.method} {request.path_info} is not an operation this endpoint "
                                      "answers.", reason="unknownOperation")
    except errors.AwsError as error:
        return error_response(error, request_id)
    call = Call(principal=auth.principal, region=auth.region, service=service, operation=operation, params={},
                request_id=request_id, source_ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""))
    # An authenticated call is recorded whatever is wrong with it, an unreadable body included.
    try:
        members, refusal = request_members(service, operation, request.META.get("QUERY_STRING", ""), body), None
    except errors.AwsError as error:
        members, refusal = None, error
    try:
        result = execute(call, wire_body=members, refusal=refusal)
    except errors.AwsError as error:
        return error_response(error, request_id)
    return success_response(service, operation, result, request_id)


def success_response(service: str, operation: str, result: dict, request_id: str) -> HttpResponse:
    body = json.dumps(shapes.encode_output(service, operation, result), separators=(",", ":"))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = request_id
    return response


def error_response(error: errors.AwsError, request_id: str) -> HttpResponse:
    code = error.code
    if isinstance(error, errors.KMSInternalException) or code == "InternalFailure":
        code = "InternalServerException"
        error = InternalServerException(error.message or "An internal error occurred.")
    if isinstance(error, errors.ValidationException) and not isinstance(error, ValidationException):
        error = ValidationException(error.message)
    payload = {"message": error.message}
    if isinstance(error, ValidationException):
        payload["reason"] = error.reason
        if error.fields:
            payload["fieldList"] = error.fields
    response = HttpResponse(json.dumps(payload), content_type=CONTENT_TYPE, status=error.status)
    response["x-amzn-ErrorType"] = code
    response["x-amzn-RequestId"] = request_id
    return response
