"""Where each statement of a policy document sits in its text: the IAM policy simulator's StartPosition and
EndPosition of a matched statement.

Lines and columns count from 1. The span runs from just after the statement's opening brace to just after its
closing brace, which is what AWS answers: for the one-line policy
`{"Version":"2012-10-17","Statement":{"Effect":"Allow",...}}` of 167 characters the AWS CLI documentation's
example shows StartPosition column 38 (the `{` is character 37) and EndPosition column 167 (the `}` is 166).
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int

    def to_shape(self) -> dict:
        return {"Line": self.line, "Column": self.column}


@dataclass(frozen=True, slots=True)
class Span:
    start: Position
    end: Position


def statement_spans(text: str) -> list[Span]:
    """One span per element of `Statement` (one for a single statement object), in document order.

    [] when the text is not a JSON object with a Statement list or object (the grammar reports that)."""
    try:
        offsets = _statement_offsets(text)
    except (ValueError, IndexError):
        return []
    lines = _LineIndex(text)
    return [Span(lines.position(start + 1), lines.position(end)) for start, end in offsets]


def _statement_offsets(text: str) -> list[tuple[int, int]]:
    """(offset of `{`, offset just past `}`) of every statement object."""
    index = _skip(text, 0)
    if text[index] != "{":
        return []
    index = _skip(text, index + 1)
    while text[index] != "}":
        name, index = json.decoder.scanstring(text, index + 1)
        index = _skip(text, index)
        if text[index] != ":":
            raise ValueError("expected ':'")
        index = _skip(text, index + 1)
        if name == "Statement":
            return _value_offsets(text, index)
        _, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return []


def _value_offsets(text: str, index: int) -> list[tuple[int, int]]:
    if text[index] == "{":
        _, end = _DECODER.raw_decode(text, index)
        return [(index, end)]
    if text[index] != "[":
        return []
    spans = []
    index = _skip(text, index + 1)
    while text[index] != "]":
        _, end = _DECODER.raw_decode(text, index)
        spans.append((index, end))
        index = _skip(text, end)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return spans


def _skip(text: str, index: int) -> int:
    while text[index] in _WHITESPACE:
        index += 1
    return index


class _LineIndex:
    """Offset -> (line, column), both from 1."""

    def __init__(self, text: str):
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.starts, offset) - 1
        return Position(line + 1, offset - self.starts[line] + 1)
