"""AWS JSON 1.1: the protocol of KMS and CloudTrail (reference kms.md §1.1–§1.4)."""

import json
import math

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
    """The request's JSON object. Anything a Java JSON reader would refuse is a SerializationException:
    not JSON, not an object, nested deeper than Python recurses, NaN/Infinity, or a number no integer,
    long or double member can hold (a 5,000-digit integer, 1e400)."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body, parse_int=_integer, parse_float=_double, parse_constant=_non_standard)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise errors.SerializationException("Unexpected character in the request body: it is not valid JSON.") from None
    except RecursionError:
        raise errors.SerializationException("The request body is nested too deeply.") from None
    if not isinstance(value, dict):
        raise errors.SerializationException("Start of structure or map found where not expected.")
    return value


_LONG_DIGITS = len(str(2**63))


def _integer(text: str) -> int:
    value = int(text) if len(text.lstrip("-")) <= _LONG_DIGITS else None
    if value is None or not -(2**63) <= value < 2**63:
        shown = text if len(text) <= 24 else f"{text[:20]}..."
        raise errors.SerializationException(f"Numeric value ({shown}) out of range of long.")
    return value


def _double(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 24 else f"{text[:20]}..."
        raise errors.SerializationException(f"Numeric value ({shown}) out of range of double.")
    return value


def _non_standard(name: str):
    raise errors.SerializationException(f"Non-standard token '{name}': not a JSON number.")


def server_error(service: str | None, *, unavailable: bool = False) -> errors.AwsError:
    """The answer to an unexpected failure: KMS's own KMSInternalException, else AWS's common errors
    (ServiceUnavailable while the database is unreachable). botocore retries all of them (5xx)."""
    if service == "kms":
        return errors.KMSInternalException("The service is unavailable. Please retry." if unavailable
                                           else "An internal error occurred.")
    if unavailable:
        return errors.ServiceUnavailable("Service is unavailable. Please retry.")
    return errors.InternalFailure("An internal error occurred.")


def for_service(error: errors.AwsError, service: str) -> errors.AwsError:
    """The dispatcher reports unexpected failures as KMSInternalException; other JSON services (CloudTrail)
    answer them with the common InternalFailure, a code their clients know."""
    if isinstance(error, errors.KMSInternalException) and service != "kms":
        return errors.InternalFailure(error.message)
    return error


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
