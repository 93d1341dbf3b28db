"""What every REST API view shares: authentication, problem details, the one way to an operation, cursor
pages and query filters.

`run` is the REST API's `kms()`/`iam()` (keys/views.py, iam/views/common.py): it runs the AWS operation as
the authenticated principal through awsapi.dispatch.execute, so the same engine authorises it and the same
trail records it as an AWS API call. A view never reads the database around an operation except for what
the AWS APIs have no operation for (a key's policy history, the explainer), and then only after an operation
has authorised the principal.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import RequestDataTooBig
from django.urls import register_converter
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.views import APIView

from awsapi import errors
from awsapi.dispatch import Call, execute
from kmsconsole import statecache
from restapi import problems
from restapi.auth import ConsoleSessionAuthentication, SigV4Authentication

IAM_REGION = "us-east-1"  # IAM is global; AWS records its calls in us-east-1


class BrowsableApi(BrowsableAPIRenderer):
    def get_context(self, *args, **kwargs):
        context = super().get_context(*args, **kwargs)
        # Pygments' colours come as an inline <style>, which the console's CSP refuses; DRF's CSS files remain.
        context["code_style"] = None
        return context


class ApiView(APIView):
    authentication_classes = [SigV4Authentication, ConsoleSessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, BrowsableApi]
    parser_classes = [JSONParser]

    def get_exception_handler(self):
        return problems.exception_handler


class SpeculativeApiView(ApiView):
    """A view whose one operation is read-only (Encrypt, Decrypt...): like the AWS endpoint, it trusts the
    process's cached state and lets the call's audit INSERT confirm it (kmsconsole/statecache.py). If the state
    moved meanwhile nothing was written, and the request runs once more on fresh state."""

    def dispatch(self, request, *args, **kwargs):
        try:
            request.body  # read once and kept: a second run parses it again
        except RequestDataTooBig:
            return super().dispatch(request, *args, **kwargs)  # answered 413, nothing to speculate on
        django_user = getattr(request, "user", None)  # DRF puts the API caller there; a second run needs it back
        statecache.speculate()
        try:
            response = super().dispatch(request, *args, **kwargs)
            statecache.confirm()  # an answer that wrote no record (a refused signature...) checks the state now
            return response
        except statecache.Stale:
            statecache.begin_request()
            request.user = django_user
            return super().dispatch(request, *args, **kwargs)


class UnknownResource(ApiView):
    """Any other /api/v1/ URL: a 404 in problem details, for every method, before authentication."""

    authentication_classes = []
    permission_classes = []

    def initial(self, request, *args, **kwargs):
        raise exceptions.NotFound(f"No resource at {request.path}. The resources are listed at /api/schema/.")


def call_for(request, service: str, operation: str, **params) -> Call:
    """The Call of an operation run by the caller (its region: the signature's scope or the console's)."""
    caller = request.user
    return Call(
        principal=caller.principal,
        region=IAM_REGION if service == "iam" else caller.region,
        service=service,
        operation=operation,
        params={name: value for name, value in params.items() if value is not None},
        request_id=request._request.request_id,
        source_ip=request.META.get("REMOTE_ADDR") or "127.0.0.1",
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1024],
        via_console=caller.via_console,
    )


def run(request, service: str, operation: str, *, wire: dict | None = None, **params) -> tuple[dict, Call]:
    """Run an AWS operation as the caller. `wire`: members in the AWS JSON form (base64 blobs), checked and
    decoded by the operation's model exactly as the AWS endpoint does; else Python values in `params`."""
    call = call_for(request, service, operation, **params)
    return execute_call(call, wire), call


def execute_call(call: Call, wire: dict | None = None) -> dict:
    if wire is not None:
        wire = {**wire, **call.params}  # members named by the URL win over the body's
    return execute(call, wire_body=wire)


def body_members(request, *, drop: tuple[str, ...] = ()) -> dict:
    """The JSON body as an object of AWS members (an empty body is an empty object)."""
    data = request.data
    if data is None or data == {} or (hasattr(data, "dict") and not data):
        return {}
    if not isinstance(data, dict):
        raise errors.SerializationException("The request body must be a JSON object.")
    return {name: value for name, value in data.items() if name not in drop}


# ---- key identifiers in URLs ----------------------------------------------------------------------------


class KeyConverter:
    """A key id, `alias/<name>`, or a key or alias ARN (another account's key is named by ARN, as in AWS)."""

    regex = r"(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(?:key|alias)/|alias/)?[^/]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(KeyConverter, "key")

KEY_PARAMETER = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="Key id, alias/<name>, key ARN or alias ARN (another account's key by ARN only).")


def path_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description)


# ---- query filters and cursor pages ---------------------------------------------------------------------


class IntegerFilter(filters.Filter):
    field_class = forms.IntegerField


class OperationFilterSet(filters.FilterSet):
    """Query parameters of a list, read and checked by django-filter and handed to the operation.

    The operation does the filtering (it alone knows what the caller may see), so the queryset is always
    empty: django-filter is used for its form (parsing, checking, messages by the parameter) only."""

    cursor = filters.CharFilter(help_text="The `next` link's cursor: where the previous page ended.")

    def __init__(self, data=None, **kwargs):
        super().__init__(data, queryset=self._meta.model.objects.none(), **kwargs)

    @classmethod
    def read(cls, request) -> dict:
        filterset = cls(request.query_params)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        return filterset.form.cleaned_data

    @classmethod
    def parameters(cls) -> list[OpenApiParameter]:
        """The filters as OpenAPI query parameters (the schema shows exactly what read() accepts)."""
        documented = []
        for name, filter_ in cls.base_filters.items():
            kind = OpenApiTypes.STR
            if isinstance(filter_, IntegerFilter):
                kind = OpenApiTypes.INT
            elif isinstance(filter_, filters.BooleanFilter):
                kind = OpenApiTypes.BOOL
            elif isinstance(filter_, filters.IsoDateTimeFilter):
                kind = OpenApiTypes.DATETIME
            enum = [value for value, _ in filter_.extra["choices"]] if "choices" in filter_.extra else None
            documented.append(OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, enum=enum,
                                               description=str(filter_.extra.get("help_text", "")) or None))
        return documented


def limit_filter(maximum: int, default: int) -> IntegerFilter:
    return IntegerFilter(min_value=1, max_value=maximum,
                         help_text=f"Items per page, 1 to {maximum} (default {default}).")


def body(schema: dict) -> dict:
    """extend_schema request: a JSON body described by a raw schema."""
    return {"application/json": schema}


def page(request, results: list, next_cursor: str | None) -> dict:
    """A cursor page: the items and the absolute link to the next page (null on the last page)."""
    next_link = None
    if next_cursor:
        query = request.query_params.copy()
        query["cursor"] = next_cursor
        next_link = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"results": results, "next": next_link}


def page_schema(item: dict) -> dict:
    return {"type": "object", "required": ["results", "next"], "properties": {
        "results": {"type": "array", "items": item},
        "next": {"type": "string", "format": "uri", "nullable": True,
                 "description": "The next page, or null on the last page."}}}


# ---- the documented answers of every view --------------------------------------------------------------

class Problem(serializers.Serializer):
    """RFC 9457 problem details; `code` is the AWS error code (what the AWS API would have answered)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="The AWS error code (AccessDeniedException, NotFoundException...).")
    instance = serializers.CharField(required=False)
    requestId = serializers.CharField(required=False, help_text="Also in the audit record of the call.")
    field = serializers.CharField(required=False, help_text="The request member or parameter at fault.")
    errors = serializers.DictField(required=False, help_text="Every bad parameter and its messages.")
    findings = serializers.ListField(child=serializers.DictField(), required=False,
                                     help_text="The policy validator's findings, when a policy was refused.")


def responses(ok: dict, *, status: int = 200, empty: bool = False) -> dict:
    """extend_schema responses: the success body and the problem details of every error status."""
    documented = {status: None if empty else ok}
    for code in (400, 401, 403, 404, 405, 409, 413, 415, 500, 503):
        documented[(code, problems.PROBLEM_JSON)] = Problem
    return documented
