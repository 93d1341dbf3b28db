"""The AWS endpoint: POST / on the console's host, exactly like a regional AWS endpoint.

Routing (CONTRACT §2): X-Amz-Target TrentService.<Op> -> KMS and CloudTrail's target -> CloudTrail,
both AWS JSON 1.1; a form-encoded Action=...&Version=2011-06-15 signed for "sts" -> STS (Query, XML).
Every request is authenticated with SigV4 before anything else happens.
"""

from rest_framework.views import APIView

from accounts.authn import authenticate
from awsapi import errors, json_protocol
from awsapi.dispatch import Call, execute, lookup
from kmsconsole import statecache


class AwsEndpointMiddleware:
    """Answers POST / (the AWS endpoint) before the console's middleware runs.

    A SigV4-signed call has no use for sessions, CSRF, messages or the console's browser headers, and
    that middleware was a tenth of an API call's CPU. Listed in settings.MIDDLEWARE after the request id
    and the state cache, which the API does use; everything after it serves the console only."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.endpoint = AwsEndpoint.as_view()

    def __call__(self, request):
        if request.method != "POST" or request.path_info != "/":
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS still applies (CommonMiddleware checks it for the console)
        response = self.endpoint(request)
        if not response.streaming and not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "127.0.0.1")


class AwsEndpoint(APIView):
    authentication_classes = []
    permission_classes = []
    parser_classes = []

    def perform_content_negotiation(self, request, force=False):
        # The protocol modules build every answer (AWS JSON 1.1, STS XML) whatever the client accepts, as
        # AWS does: there is no renderer to choose. (GET / is the console's home page, a Django view.)
        return (None, None)

    def get(self, request):
        from kmsconsole.views import home

        return home(request._request)

    def post(self, request):
        django_request = request._request
        request_id = getattr(django_request, "request_id", "")
        target = django_request.headers.get("X-Amz-Target")
        if target is None:
            from awsapi import query_protocol

            return query_protocol.handle(django_request, request_id)
        return handle_json(django_request, target, request_id)


def handle_json(request, target: str, request_id: str):
    route = json_protocol.parse_target(target)
    spec = lookup(*route) if route else None
    if spec is not None and spec.read_only:
        # Read-only calls trust this process's cached state and confirm it with their audit INSERT
        # (kmsconsole/statecache.py); if it moved meanwhile, they run once more on fresh state.
        statecache.speculate()
        try:
            return _answer_json(request, route, spec, request_id)
        except statecache.Stale:
            statecache.begin_request()
    return _answer_json(request, route, spec, request_id)


def _answer_json(request, route, spec, request_id: str):
    body = request.body
    try:
        expected_service = route[0] if route else None
        auth = authenticate(request, body=body, expected_service=expected_service)
        if spec is None:  # checked after authentication, as AWS does
            raise errors.UnknownOperationException("")
        service, operation = route
        wire_body = json_protocol.parse_body(body)
    except errors.AwsError as error:
        statecache.confirm()  # this answer writes no record to confirm the state it rests on
        return json_protocol.error_response(error, request_id)
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
        result = execute(call, wire_body=wire_body)
    except errors.AwsError as error:
        statecache.confirm()  # a no-op once the call's record confirmed it
        return json_protocol.error_response(error, request_id)
    statecache.confirm()
    return json_protocol.success_response(service, operation, result, request_id)
