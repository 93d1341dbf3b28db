"""AWS JSON 1.1: the protocol of KMS and CloudTrail (reference kms.md §1.1–§1.4)."""

import json

from django.http import HttpResponse

from awsapi import errors, shapes

CONTENT_TYPE = "application/x-amz-json-1.1"

# X-Amz-Target prefixes -> the service whose model describes the operation.
TARGET_PREFIXES = {
    "TrentService": "kms",
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": "cloudtrail",
}


def parse_target(target: str) -> tuple[str, str] | None:
    """'TrentService.Encrypt' -> ('kms', 'Encrypt'); None for a target no service here answers."""
    prefix, _, operation = target.rpartition(".")
    service = TARGET_PREFIXES.get(prefix)
    if service is None or not operation:
        return None
    return service, operation


def parse_body(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise errors.SerializationException("Unexpected character in the request body: it is not valid JSON.") from None
    if not isinstance(value, dict):
        raise errors.SerializationException("Start of structure or map found where not expected.")
    return value


def success_response(service: str, operation: str, result: dict, request_id: str) -> HttpResponse:
    body = json.dumps(shapes.encode_output(service, operation, result), separators=(",", ":"))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = request_id
    return response


def error_response(error: errors.AwsError, request_id: str) -> HttpResponse:
    payload = {"__type": error.code}
    if error.has_message:
        # The authorisation layer spells the member "Message"; service exceptions use "message".
        payload["Message" if isinstance(error, errors.AccessDeniedException) else "message"] = error.message
    response = HttpResponse(json.dumps(payload), content_type=CONTENT_TYPE, status=error.status)
    response["x-amzn-RequestId"] = request_id
    return response
