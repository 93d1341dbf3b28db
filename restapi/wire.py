"""The REST API's JSON for an operation's output, and its OpenAPI schema, both read from botocore's model.

The REST API answers with the members the AWS API reference documents (same names, same enums), so a
result is encoded by the operation's output shape: blobs in base64, timestamps in ISO 8601 (not the AWS JSON
protocol's epoch seconds), members that are None left out. The schema of a member comes from the same
shape, so the documented answer and the real one cannot drift apart.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache

from awsapi.shapes import service_model


def shape(service: str, name: str):
    return service_model(service).shape_for(name)


def output_shape(service: str, operation: str):
    return service_model(service).operation_model(operation).output_shape


def encode(shape_, value):
    """A Python value of `shape_` as REST JSON."""
    kind = shape_.type_name
    if kind == "structure":
        return {name: encode(member, value[name]) for name, member in shape_.members.items()
                if value.get(name) is not None}
    if kind == "list":
        return [encode(shape_.member, item) for item in value]
    if kind == "map":
        return {key: encode(shape_.value, item) for key, item in value.items()}
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    if kind == "timestamp" and isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if kind == "string" and not isinstance(value, str):
        return str(value)
    return value


def encode_output(service: str, operation: str, result: dict, members: tuple[str, ...] | None = None) -> dict:
    """An operation's result as REST JSON, optionally only some of its top-level members."""
    out = output_shape(service, operation)
    encoded = encode(out, result or {})
    return {name: encoded[name] for name in members if name in encoded} if members else encoded


@lru_cache(maxsize=None)
def _schema(service: str, name: str) -> dict:
    return schema_of(shape(service, name))


def schema(service: str, name: str) -> dict:
    """The OpenAPI schema of a named shape (a fresh copy: callers may extend it)."""
    import copy

    return copy.deepcopy(_schema(service, name))


def schema_of(shape_, depth: int = 0) -> dict:
    kind = shape_.type_name
    doc = {}
    if kind == "structure":
        if depth > 6:  # recursive shapes (none in KMS, a few in IAM): stop describing, still an object
            return {"type": "object"}
        doc = {"type": "object",
               "properties": {name: schema_of(member, depth + 1) for name, member in shape_.members.items()}}
    elif kind == "list":
        doc = {"type": "array", "items": schema_of(shape_.member, depth + 1)}
    elif kind == "map":
        doc = {"type": "object", "additionalProperties": schema_of(shape_.value, depth + 1)}
    elif kind == "blob":
        doc = {"type": "string", "format": "byte"}
    elif kind == "timestamp":
        doc = {"type": "string", "format": "date-time"}
    elif kind == "boolean":
        doc = {"type": "boolean"}
    elif kind in ("integer", "long"):
        doc = {"type": "integer"}
    elif kind in ("float", "double"):
        doc = {"type": "number"}
    else:
        doc = {"type": "string"}
        if shape_.enum:
            doc["enum"] = list(shape_.enum)
    return doc


def output_schema(service: str, operation: str, members: tuple[str, ...] | None = None) -> dict:
    doc = schema_of(output_shape(service, operation))
    if members:
        doc["properties"] = {name: doc["properties"][name] for name in members}
    return doc


def input_schema(service: str, operation: str, *, drop: tuple[str, ...] = ("KeyId",),
                 only: tuple[str, ...] | None = None) -> dict:
    """A request body: the operation's input members less those the URL names, in the AWS JSON form."""
    shape_ = service_model(service).operation_model(operation).input_shape
    names = [n for n in shape_.members if n not in drop and (only is None or n in only)]
    doc = {"type": "object", "properties": {n: schema_of(shape_.members[n]) for n in names}}
    required = [n for n in shape_.required_members if n in names]
    if required:
        doc["required"] = required
    return doc
