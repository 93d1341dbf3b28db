"""Our validator's findings in IAM Access Analyzer's ValidatePolicy shape.

A finding's path ("Statement[1].Principal.AWS[0]") becomes Access Analyzer's list of path elements
(`{"value": "Statement"}, {"index": 1}, ...`) and a span of the policy text: line from 1, column and
offset from 0, as its `Position` counts them. A path that names something missing (no `Version`) points
at the nearest element that exists.
"""

from __future__ import annotations

import json
import re

from policies.grammar import Finding

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

_CHECKS_REFERENCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
_KMS_GUIDE = "https://docs.aws.amazon.com/kms/latest/developerguide/"
# Checks only a KMS-aware reader makes: AWS's KMS guide explains each.
_KMS_PAGES = {
    "CROSS_ACCOUNT_NO_EFFECT": "key-policy-modifying-external-accounts.html",
    "KMS_ACTION_NOT_CROSS_ACCOUNT": "key-policy-modifying-external-accounts.html",
    "NOT_EFFECTIVE_IN_KEY_POLICY": "key-policy-overview.html",
    "KEY_POLICY_RESOURCE": "key-policy-overview.html",
    "IAM_ONLY_ACTION": "kms-api-permissions-reference.html",
    "KMS_KEY_NOT_NAMED_BY_ARN": "cmks-in-iam-policies.html",
    "ALIAS_ARN_IN_RESOURCE": "alias-authorization.html",
}


def learn_more_link(finding: Finding) -> str:
    page = _KMS_PAGES.get(finding.code)
    if page:
        return _KMS_GUIDE + page
    kind = finding.severity.lower().replace("_", "-")
    return f"{_CHECKS_REFERENCE}#access-analyzer-reference-policy-checks-{kind}-{finding.code.lower().replace('_', '-')}"


def path_elements(path: str) -> list[dict]:
    return [{"index": int(index)} if index else {"value": key}
            for key, index in _PATH_PART.findall(path)]


def to_shape(finding: Finding, text: str) -> dict:
    elements = path_elements(finding.path)
    return {
        "findingType": finding.severity,
        "issueCode": finding.code,
        "findingDetails": finding.message,
        "learnMoreLink": learn_more_link(finding),
        "locations": [{"path": elements, "span": _span_shape(text, elements)}],
    }


def _span_shape(text: str, elements: list[dict]) -> dict:
    start, end = value_span(text, elements)
    return {"start": _position(text, start), "end": _position(text, end)}


def _position(text: str, offset: int) -> dict:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return {"line": line, "column": column, "offset": offset}


def value_span(text: str, elements: list[dict]) -> tuple[int, int]:
    """(start, end) offsets of the value a path names, or of the deepest part of it that exists; the whole
    text when the text is not JSON."""
    try:
        start = _skip_space(text, 0)
        end = _DECODER.raw_decode(text, start)[1]
        for element in elements:
            found = _child(text, start, element)
            if found is None:
                break
            start, end = found
    except (ValueError, IndexError):
        return 0, len(text)
    return start, end


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def _child(text: str, start: int, element: dict) -> tuple[int, int] | None:
    """The span of a member (object) or item (array) of the value starting at `start`."""
    opening = text[start]
    if opening == "{" and "value" in element:
        index = _skip_space(text, start + 1)
        while text[index] != "}":
            key, index = _DECODER.raw_decode(text, index)
            index = _skip_space(text, _skip_space(text, index) + 1)  # past the colon
            value_end = _DECODER.raw_decode(text, index)[1]
            if key == element["value"]:
                return index, value_end
            index = _skip_space(text, value_end)
            if text[index] == ",":
                index = _skip_space(text, index + 1)
        return None
    if opening == "[" and "index" in element:
        index = _skip_space(text, start + 1)
        position = 0
        while text[index] != "]":
            value_end = _DECODER.raw_decode(text, index)[1]
            if position == element["index"]:
                return index, value_end
            position += 1
            index = _skip_space(text, value_end)
            if text[index] == ",":
                index = _skip_space(text, index + 1)
        return None
    return None
