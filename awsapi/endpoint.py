"""The AWS endpoint: POST / on the console's host, exactly like a regional AWS endpoint.

Routing (CONTRACT §2): X-Amz-Target TrentService.<Op> -> KMS and CloudTrail's target -> CloudTrail,
both AWS JSON 1.1; a form-encoded Action=...&Version=... signed for "sts" or "iam" -> Query protocol, XML.
Every request is authenticated with SigV4 before anything else happens.

Every answer of `/` other than the console's GET is in the caller's protocol, whatever the input: a
method other than POST (405), a body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (413), a database that is
down (a 5xx botocore retries) and any unexpected exception (InternalFailure / KMSInternalException, 500)
are answered here, so no request to the API ever gets Django's HTML.
"""

import logging

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.db import DatabaseError, DataError, IntegrityError
from django.views import View

from accounts.authn import authenticate
from awsapi import errors, json_protocol, rest_json_protocol
from awsapi.dispatch import Call, execute, lookup
from kmsconsole import statecache

log = logging.getLogger(__name__)

_NOT_ALLOWED = "The specified method is not allowed against this resource."
_TOO_LARGE = "Request Entity Too Large"
# The console answers these on `/` (its home page); every other method is the API's.
_CONSOLE_METHODS = {"GET", "HEAD"}


class AwsEndpointMiddleware:
    """Answers the AWS endpoint (every method on `/` but GET and HEAD) before the console's middleware runs.

    A SigV4-signed call has no use for sessions, CSRF, messages or the console's browser headers, and
    that middleware was a tenth of an API call's CPU. Listed in settings.MIDDLEWARE after the request id
    and the state cache, which the API does use; everything after it serves the console only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/":
            # restJson1 services (Access Analyzer) live on their own paths; a signed request for one of them
            # is the API's, anything else on such a path is the console's (a 404).
            service = rest_json_protocol.signing_service(request)
            if service is None or not rest_json_protocol.is_route(service, request.path_info):
                return self.get_response(request)
            response = answer(request, rest_json_service=service)
        elif request.method in _CONSOLE_METHODS:
            return self.get_response(request)
        else:
            response = answer(request)
        if not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "127.0.0.1")


class AwsEndpoint(View):
    """GET / is the console's home page; the middleware above answers every other method on `/`."""

    def get(self, request):
        from kmsconsole.views import home

        return home(request)


def answer(request, rest_json_service: str | None = None):
    """The API's answer to any request on `/` (or on a restJson1 service's path): never an exception,
    always the protocol's shape."""
    request_id = getattr(request, "request_id", "")
    target = request.headers.get("X-Amz-Target")
    if rest_json_service is not None:
        shape_error = _rest_json_error_shaper(request_id)
    elif target is not None:
        shape_error = _json_error_shaper(target, request_id)
    else:
        shape_error = _query_error_shaper(request, request_id)
    try:
        request.get_host()  # ALLOWED_HOSTS still applies (CommonMiddleware checks it for the console)
        if request.method != "POST" and rest_json_service is None:
            return shape_error(errors.MethodNotAllowed(_NOT_ALLOWED))
        try:
            body = request.body
        except RequestDataTooBig:
            return shape_error(errors.RequestEntityTooLarge(_TOO_LARGE))
        if rest_json_service is not None:
            return rest_json_protocol.handle(request, rest_json_service, request_id, body)
        if target is None:
            from awsapi import query_protocol

            return query_protocol.handle(request, request_id, body)
        return handle_json(request, target, request_id, body)
    except DisallowedHost:
        raise  # Django's own 400: the request is for another site, not for this API
    except (DataError, IntegrityError):
        log.exception("unexpected data error on the AWS endpoint")
        return shape_error(None)
    except DatabaseError:
        # The database is unreachable or the connection broke: Django drops the connection at the end of this
        # request (close_if_unusable_or_obsolete), so the client's retry finds a fresh one.
        log.warning("database unavailable for request %s", request_id, exc_info=True)
        return shape_error(None, unavailable=True)
    except Exception:
        log.exception("unexpected error on the AWS endpoint")
        return shape_error(None)


def _json_error_shaper(target: str, request_id: str):
    route = json_protocol.parse_target(target)
    service = route[0] if route else None

    def shape(error, unavailable=False):
        if error is None:
            error = json_protocol.server_error(service, unavailable=unavailable)
        return json_protocol.error_response(error, request_id)

    return shape


def _rest_json_error_shaper(request_id: str):
    def shape(error, unavailable=False):
        if error is None:
            error = (errors.ServiceUnavailable("Service is unavailable. Please retry.") if unavailable
                     else rest_json_protocol.InternalServerException("An internal error occurred."))
        return rest_json_protocol.error_response(error, request_id)

    return shape


def _query_error_shaper(request, request_id: str):
    from awsapi import query_protocol

    service = query_protocol.scope_service(request)

    def shape(error, unavailable=False):
        if error is None:
            error = (errors.ServiceUnavailable("Service is unavailable. Please retry.") if unavailable
                     else errors.InternalFailure("An internal error occurred."))
        return query_protocol.error_response(error, request_id, service)

    return shape


def handle_json(request, target: str, request_id: str, body: bytes):
    route = json_protocol.parse_target(target)
    spec = lookup(*route) if route else None
    if spec is not None and spec.read_only:
        # Read-only calls trust this process's cached state and confirm it with their audit INSERT
        # (kmsconsole/statecache.py); if it moved meanwhile, they run once more on fresh state.
        statecache.speculate()
        try:
            return _answer_json(request, route, spec, request_id, body)
        except statecache.Stale:
            statecache.begin_request()
    return _answer_json(request, route, spec, request_id, body)


def _answer_json(request, route, spec, request_id: str, body: bytes):
    try:
        expected_service = route[0] if route else None
        auth = authenticate(request, body=body, expected_service=expected_service)
        if spec is None:  # checked after authentication, as AWS does
            raise errors.UnknownOperationException("")
    except errors.AwsError as error:
        statecache.confirm()  # this answer writes no record to confirm the state it rests on
        return json_protocol.error_response(error, request_id)
    service, operation = route
    call = Call(
        principal=auth.principal,
        region=auth.region,
        service=service,
        operation=operation,
        params={},
        request_id=request_id,
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    try:
        # An authenticated call is recorded whatever is wrong with it, an unreadable body included.
        try:
            wire_body, refusal = json_protocol.parse_body(body), None
        except errors.SerializationException as error:
            wire_body, refusal = None, error
        result = execute(call, wire_body=wire_body, refusal=refusal)
    except errors.AwsError as error:
        statecache.confirm()  # a no-op once the call's record confirmed it
        return json_protocol.error_response(json_protocol.for_service(error, service), request_id)
    statecache.confirm()
    return json_protocol.success_response(service, operation, result, request_id)
