"""Text that PostgreSQL cannot hold: NUL (U+0000) in any text or jsonb value, and lone UTF-16 surrogates
(U+D800–U+DFFF, which JSON's \\uXXXX escapes can produce but UTF-8 cannot encode).

The rule, one place for every service (issue 11):
- Members whose botocore model has a pattern refuse both through it, with AWS's wording (the model check
  runs first; no pattern of an implemented KMS, STS or CloudTrail operation admits them).
- The top-level encryption contexts of the cryptographic operations are never stored (they are bound into
  the ciphertext and compared in memory), so they are taken faithfully.
- Every other string (descriptions, tag keys and values, grant constraints, key and grant ids, lookup
  values) is refused with a ValidationException in AWS's format, before anything reads or writes the
  database: the same answer from the API and the console.
- What is written about a call (its audit records) replaces such characters with U+FFFD: the record is
  always written, never dropped.
"""

import regex

from awsapi import errors, shapes

# NUL, or a surrogate not part of a pair (Python strings from JSON keep pairs as two code points only when
# they were escaped separately; the json module joins a valid pair into one code point).
_UNSTORABLE = regex.compile(r"[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
# Map shapes bound into ciphertext, never stored, when they are a request's own members.
_FAITHFUL_TOP_LEVEL_SHAPES = {"EncryptionContextType"}
_CONSTRAINT = "Member must not contain null characters or unpaired surrogates"


def unstorable(text: str) -> bool:
    return (not text.isascii() or "\x00" in text) and _UNSTORABLE.search(text) is not None


def scrub_text(text: str) -> str:
    return _UNSTORABLE.sub(REPLACEMENT, text) if unstorable(text) else text


def scrub(value):
    """A copy of `value` with every unstorable character of every string (dict keys included) replaced."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


def refuse_unstorable(service: str, operation: str, params: dict) -> None:
    """Raise ValidationException when a member (other than a top-level encryption context) holds text
    PostgreSQL cannot store."""
    op = shapes.operation_model(service, operation)
    if op is None or op.input_shape is None:
        return
    problems = []
    for name, member in op.input_shape.members.items():
        if params.get(name) is not None and member.name not in _FAITHFUL_TOP_LEVEL_SHAPES:
            _walk(member, params[name], name[:1].lower() + name[1:], problems)
    if problems:
        noun = "error" if len(problems) == 1 else "errors"
        raise errors.ValidationException(f"{len(problems)} validation {noun} detected: " + "; ".join(problems))


def _walk(shape, value, path, problems):
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _walk(member, value[name], f"{path}.{name[:1].lower() + name[1:]}", problems)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{path}.{index + 1}.member", problems)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.key", problems)
            _walk(shape.value, item, f"{path}.value", problems)
    elif kind == "string" and isinstance(value, str) and unstorable(value):
        # The value itself is not echoed: it is what cannot be stored or shown.
        problems.append(f"Value at '{path}' failed to satisfy constraint: {_CONSTRAINT}")
