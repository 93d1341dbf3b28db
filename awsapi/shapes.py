"""Request and response shapes, driven by botocore's service models.

The models that the SDKs are generated from say which members are required, which are blobs
(base64 on the wire), timestamps (epoch seconds), enums, lengths and ranges. Reading them here means
the server accepts and answers exactly what boto3 and the AWS CLI send and expect, and reports a bad
value the way AWS does: "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy
constraint: Member must have value greater than or equal to 1".
"""

import base64
import binascii
import datetime as dt
from functools import lru_cache

import botocore.session
import regex

from awsapi.errors import SerializationException, ValidationException


@lru_cache(maxsize=None)
def service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


@lru_cache(maxsize=None)
def operation_model(service: str, operation: str):
    model = service_model(service)
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


# Enums whose validation message AWS words in its own order (recorded answers: LocalStack's snapshot of
# CreateKey with a bad KeySpec / KeyUsage). Values added to the model since are listed after them.
_AWS_ENUM_ORDER = {
    "KeySpec": ("RSA_2048", "ECC_NIST_P384", "ECC_NIST_P256", "ECC_NIST_P521", "HMAC_384", "RSA_3072",
                "ECC_SECG_P256K1", "RSA_4096", "SYMMETRIC_DEFAULT", "HMAC_256", "HMAC_224", "HMAC_512"),
    "KeyUsageType": ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"),
}


def enum_values_in_message(shape, *, china: bool) -> list[str]:
    """The values a validation message lists for an enum shape: AWS's order, and the SM2 family (ShangMi,
    offered only in the China Regions) only there."""
    values = list(shape.metadata["enum"])
    first = [v for v in _AWS_ENUM_ORDER.get(shape.name, ()) if v in values]
    ordered = first + [v for v in values if v not in first]
    return ordered if china else [v for v in ordered if not v.startswith("SM2")]


class _Problems:
    def __init__(self, china: bool = False):
        self.messages: list[str] = []
        self.china = china  # the request is for a China Region (aws-cn partition)

    def add(self, value, path: str, constraint: str, sensitive: bool):
        if sensitive:
            shown = "Value"
        elif value is None:
            shown = "Value null"
        else:
            shown = f"Value '{value}'"
        self.messages.append(f"{shown} at '{path}' failed to satisfy constraint: {constraint}")

    def raise_if_any(self):
        if not self.messages:
            return
        count = len(self.messages)
        noun = "error" if count == 1 else "errors"
        raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(self.messages))


def decode_input(service: str, operation: str, body) -> dict:
    """Turn a JSON request body into Python values: bytes for blobs, datetimes for timestamps."""
    op = operation_model(service, operation)
    if not isinstance(body, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    if op is None or op.input_shape is None:
        return {}
    return _decode_structure(op.input_shape, body, "")


def _decode_structure(shape, value, path):
    if not isinstance(value, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    # Members the model does not know are ignored, as AWS's JSON services do.
    return {
        name: _decode_value(member, value[name], f"{path}.{name}" if path else name)
        for name, member in shape.members.items()
        if value.get(name) is not None
    }


def _decode_value(shape, value, path):
    kind = shape.type_name
    if kind == "structure":
        return _decode_structure(shape, value, path)
    if kind == "list":
        if not isinstance(value, list):
            raise SerializationException(f"Unexpected value type for list member {path}")
        return [_decode_value(shape.member, item, path) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise SerializationException("Start of structure or map found where not expected.")
        return {_decode_value(shape.key, k, path): _decode_value(shape.value, v, path) for k, v in value.items()}
    if kind == "blob":
        if not isinstance(value, str):
            raise SerializationException(f"Unexpected value type for blob member {path}")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise SerializationException(f"Invalid base64 value for {path}") from None
    if kind == "string" and not isinstance(value, str):
        raise SerializationException(f"Unexpected value type for string member {path}")
    if kind in ("integer", "long") and (isinstance(value, bool) or not isinstance(value, int)):
        raise SerializationException(f"Unexpected value type for integer member {path}")
    if kind == "boolean" and not isinstance(value, bool):
        raise SerializationException(f"Unexpected value type for boolean member {path}")
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SerializationException(f"Unexpected value type for timestamp member {path}")
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):  # beyond the years a datetime holds (1e20, say)
            raise SerializationException(f"Timestamp out of range for member {path}") from None
    return value


def validate_input(service: str, operation: str, params: dict, *, region: str = "") -> None:
    """Check required members, lengths, ranges, enums and patterns; raise one ValidationException for all."""
    op = operation_model(service, operation)
    if op is None or op.input_shape is None:
        return
    problems = _Problems(china=region.startswith("cn-"))
    _validate_structure(op.input_shape, params, "", problems)
    problems.raise_if_any()


def _validate_structure(shape, value, path, problems):
    for name, member in shape.members.items():
        member_path = f"{path}.{_camel(name)}" if path else _camel(name)
        if value.get(name) is None:
            if name in shape.required_members:
                problems.add(None, member_path, "Member must not be null", False)
            continue
        _validate_value(member, value[name], member_path, problems)


def _validate_value(shape, value, path, problems):
    kind = shape.type_name
    sensitive = bool(shape.metadata.get("sensitive"))
    if kind == "structure":
        _validate_structure(shape, value, path, problems)
    elif kind == "list":
        _check_length(shape, len(value), None, path, problems, sensitive=True)
        for i, item in enumerate(value):
            _validate_value(shape.member, item, f"{path}.{i + 1}.member", problems)
    elif kind == "map":
        for k, v in value.items():
            _validate_value(shape.key, k, f"{path}.key", problems)
            _validate_value(shape.value, v, f"{path}.value", problems)
    elif kind == "blob":
        _check_length(shape, len(value), None, path, problems, sensitive=True)
    elif kind == "string":
        _check_length(shape, len(value), value, path, problems, sensitive)
        enum = shape.metadata.get("enum")
        if enum and (value not in enum or (value.startswith("SM2") and not problems.china)):
            listed = ", ".join(enum_values_in_message(shape, china=problems.china))
            problems.add(value, path, f"Member must satisfy enum value set: [{listed}]", sensitive)
        pattern = shape.metadata.get("pattern")
        if pattern and not _pattern(pattern).fullmatch(value):
            problems.add(value, path, f"Member must satisfy regular expression pattern: {pattern}", sensitive)
    elif kind in ("integer", "long"):
        if "min" in shape.metadata and value < shape.metadata["min"]:
            problems.add(value, path, f"Member must have value greater than or equal to {shape.metadata['min']}", sensitive)
        if "max" in shape.metadata and value > shape.metadata["max"]:
            problems.add(value, path, f"Member must have value less than or equal to {shape.metadata['max']}", sensitive)


@lru_cache(maxsize=256)
def _pattern(pattern: str):
    # botocore patterns are Java-style: `regex` reads their Unicode classes (\p{L}, \p{Z}...) as Java does.
    # Java spells the supplementary planes as a UTF-16 surrogate range; Python strings hold code points.
    pattern = pattern.replace("\\uD800\\uDC00-\\uDBFF\\uDFFF", "\\U00010000-\\U0010FFFF")
    # Java's \w is ASCII (IAM names refuse "Jörg"); the models use it only inside character classes.
    pattern = pattern.replace("\\w", "a-zA-Z0-9_")
    return regex.compile(pattern, regex.DOTALL)


def _check_length(shape, length, value, path, problems, sensitive):
    if "min" in shape.metadata and length < shape.metadata["min"]:
        problems.add(value, path, f"Member must have length greater than or equal to {shape.metadata['min']}", sensitive)
    if "max" in shape.metadata and length > shape.metadata["max"]:
        problems.add(value, path, f"Member must have length less than or equal to {shape.metadata['max']}", sensitive)


def encode_output(service: str, operation: str, result: dict | None) -> dict:
    """Turn an operation's Python result into the JSON body: base64 blobs, epoch timestamps, no None members."""
    op = operation_model(service, operation)
    if not result or op.output_shape is None:
        return {}
    return _encode_structure(op.output_shape, result)


def _encode_structure(shape, value):
    encoded = {}
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            encoded[name] = _encode_value(member, value[name])
    return encoded


def _encode_value(shape, value):
    kind = shape.type_name
    if kind == "structure":
        return _encode_structure(shape, value)
    if kind == "list":
        return [_encode_value(shape.member, item) for item in value]
    if kind == "map":
        return {k: _encode_value(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    if kind == "timestamp":
        if isinstance(value, dt.datetime):
            return round(value.timestamp(), 3)
        return value
    return value


def sensitive_members(service: str, operation: str) -> frozenset[str]:
    """Top-level input members that must never be recorded (plaintext, ciphertext, tokens...)."""
    op = operation_model(service, operation)
    if op is None or op.input_shape is None:
        return frozenset()
    return frozenset(
        name for name, member in op.input_shape.members.items()
        if member.metadata.get("sensitive") or member.type_name == "blob"
        or (member.type_name == "list" and member.member.metadata.get("sensitive"))
    )
