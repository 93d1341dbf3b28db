"""The AWS Query protocol: STS's and IAM's form-encoded requests and XML answers (reference kms.md §1.6).

A request is `Action=AssumeRole&Version=2011-06-15&RoleArn=...` with nested members flattened into
dotted names (`PolicyArns.member.1.arn`, `Tags.member.2.Key`). The credential scope's service says which
service it is for (CONTRACT §2). The botocore model of the service says which member is a list, an
integer or a timestamp, so decoding and encoding follow it here exactly as shapes.py does for JSON; the
operation itself runs through dispatch.execute like every other call.
"""

import datetime as dt
import re
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape as _escape_markup

from django.http import HttpResponse

from accounts.authn import authenticate
from awsapi import errors, shapes
from awsapi.dispatch import Call, execute, lookup
from awsapi.endpoint import client_ip

# Query-protocol services and their API versions.
API_VERSIONS = {"sts": "2011-06-15", "iam": "2010-05-08"}
DEFAULT_SERVICE = "sts"
# IAM is global: AWS records its calls in us-east-1 whatever region a client signed for (SDKs pointed at a
# custom endpoint sign with their own region, so any known region is accepted).
GLOBAL_SERVICE_REGIONS = {"iam": "us-east-1"}
CONTENT_TYPE = "text/xml"
_SCOPE_SERVICE = re.compile(r"Credential=[^/,\s]+/[0-9]{8}/[^/,\s]+/([^/,\s]+)/")
# IAM sends policy documents URL-encoded (botocore decodes them back to dicts).
_URL_ENCODED_SHAPES = {"policyDocumentType"}


# Characters XML 1.0 cannot carry at all, even as references: shown as U+FFFD so the answer still parses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    return _escape_markup(_NOT_XML.sub("\ufffd", text))


def _namespace(service: str) -> str:
    return shapes.service_model(service).metadata["xmlNamespace"]


def scope_service(request) -> str:
    """The Query service a request is for: its credential scope's service when that is one of ours."""
    match = _SCOPE_SERVICE.search(request.headers.get("Authorization", ""))
    service = match.group(1) if match else DEFAULT_SERVICE
    return service if service in API_VERSIONS else DEFAULT_SERVICE


def handle(request, request_id: str, body: bytes) -> HttpResponse:
    service = scope_service(request)
    try:
        form = parse_form(body)
        auth = authenticate(request, body=body, expected_service=service)
        action = form.get("Action", "")
        if form.get("Version") != API_VERSIONS[service] or lookup(service, action) is None \
                or shapes.operation_model(service, action) is None:
            raise errors.UnknownOperationException(
                f"Could not find operation {action} for version {form.get('Version', 'NO_VERSION_SPECIFIED')}")
    except errors.AwsError as error:
        return error_response(error, request_id, service)
    # An authenticated call is recorded whatever is wrong with it, a member that is not a number included.
    try:
        params, refusal = decode_input(service, action, form), None
    except errors.AwsError as error:
        params, refusal = {}, error
    call = Call(
        principal=auth.principal,
        region=GLOBAL_SERVICE_REGIONS.get(service, auth.region),
        service=service,
        operation=action,
        params=params,
        request_id=request_id,
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    try:
        result = execute(call, refusal=refusal)
    except errors.AwsError as error:
        return error_response(error, request_id, service)
    return success_response(service, action, result, request_id)


def parse_form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.SerializationException("The request body is not valid UTF-8.") from None
    return dict(parse_qsl(text, keep_blank_values=True))


# ---- form -> Python values, driven by the model ------------------------------------------------------

def decode_input(service: str, operation: str, form: dict[str, str]) -> dict:
    """Rebuild the operation's input from the flattened form members; unknown members are ignored."""
    shape = shapes.operation_model(service, operation).input_shape
    if shape is None:
        return {}
    return _decode_structure(shape, form, "") or {}


def _member_name(name: str, member) -> str:
    return member.serialization.get("name", name)


def _decode_structure(shape, form, prefix):
    decoded = {}
    for name, member in shape.members.items():
        key = _member_name(name, member)
        value = _decode_value(member, form, f"{prefix}.{key}" if prefix else key)
        if value is not None:
            decoded[name] = value
    return decoded or None


def _has_prefix(form, prefix) -> bool:
    dotted = prefix + "."
    return any(k == prefix or k.startswith(dotted) for k in form)


def _decode_value(shape, form, key):
    kind = shape.type_name
    if kind == "structure":
        # Named but with none of its members (`Tags.member.1=x`): an empty structure, which validation reports.
        return (_decode_structure(shape, form, key) or {}) if _has_prefix(form, key) else None
    if kind == "list":
        if key in form and form[key] == "":
            return []  # botocore sends an empty list as "Name="
        item_prefix = key if shape.serialization.get("flattened") else f"{key}.member"
        items, index = [], 1
        while _has_prefix(form, f"{item_prefix}.{index}"):
            item = _decode_value(shape.member, form, f"{item_prefix}.{index}")
            if item is not None:  # `Names.member.1.x=y` names no string: there is no item
                items.append(item)
            index += 1
        return items if index > 1 else None
    if kind == "map":
        entries, index = {}, 1
        while _has_prefix(form, f"{key}.entry.{index}"):
            k = form.get(f"{key}.entry.{index}.key")
            v = _decode_value(shape.value, form, f"{key}.entry.{index}.value")
            if k is not None and v is not None:  # an entry without its key or value is no entry
                entries[k] = v
            index += 1
        return entries if index > 1 else None
    if key not in form:
        return None
    raw = form[key]
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise errors.ValidationException(
                f"1 validation error detected: Value '{raw}' at '{key}' failed to satisfy constraint: "
                "Member must be a number") from None
    if kind == "boolean":
        return raw.lower() == "true"
    if kind == "timestamp":
        try:
            return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise errors.ValidationException(f"Invalid timestamp for {key}") from None
    return raw


# ---- Python values -> XML -------------------------------------------------------------------------------

def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _encode(shape, value) -> str:
    kind = shape.type_name
    if kind == "structure":
        return "".join(
            f"<{_member_name(name, member)}>{_encode(member, value[name])}</{_member_name(name, member)}>"
            for name, member in shape.members.items() if value.get(name) is not None
        )
    if kind == "list":
        return "".join(f"<member>{_encode(shape.member, item)}</member>" for item in value)
    if kind == "timestamp":
        return _timestamp(value) if isinstance(value, dt.datetime) else escape(str(value))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "map":
        return "".join(f"<entry><key>{escape(str(k))}</key><value>{_encode(shape.value, v)}</value></entry>"
                       for k, v in value.items())
    if shape.name in _URL_ENCODED_SHAPES:
        return escape(quote(str(value), safe=""))
    return escape(str(value))


def success_response(service: str, operation: str, result: dict, request_id: str) -> HttpResponse:
    output = shapes.operation_model(service, operation).output_shape
    inner = _encode(output, result or {}) if output is not None else ""
    wrapper = (output.serialization.get("resultWrapper") if output is not None else None) or f"{operation}Result"
    body = (
        f'<{operation}Response xmlns="{_namespace(service)}">\n'
        f"  <{wrapper}>{inner}</{wrapper}>\n"
        f"  <ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>\n"
        f"</{operation}Response>\n"
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = request_id
    return response


def error_response(error: errors.AwsError, request_id: str, service: str = DEFAULT_SERVICE) -> HttpResponse:
    code = error.query_code or error.code
    status = error.query_status or error.status
    body = (
        f'<ErrorResponse xmlns="{_namespace(service)}">\n'
        f"  <Error><Type>{'Receiver' if status >= 500 else 'Sender'}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>\n"
        f"  <RequestId>{escape(request_id)}</RequestId>\n"
        f"</ErrorResponse>\n"
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE, status=status)
    response["x-amzn-RequestId"] = request_id
    return response
