"""Wildcard matching for actions, ARNs and strings, and policy variables.

Globs (`*` any run, `?` one character) compile once to a regular expression and
are cached, so evaluation never re-parses a pattern. ARN patterns are matched
segment by segment (the first five segments cannot swallow a colon), as IAM does.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Mapping

_MISSING = object()
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPED_VARIABLES = {"*": "*", "?": "?", "$": "$"}


def is_literal(pattern: str) -> bool:
    """No wildcard and no policy variable: a plain string comparison will do."""
    return "*" not in pattern and "?" not in pattern and "${" not in pattern


def _glob_source(text: str, colon_free: bool) -> str:
    any_run, one = ("[^:]*", "[^:]") if colon_free else (".*", ".")
    out = []
    for ch in text:
        if ch == "*":
            out.append(any_run)
        elif ch == "?":
            out.append(one)
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A compiled full-match regex for a glob without policy variables."""
    return re.compile(_glob_source(pattern, False) + r"\Z", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if is_literal(pattern):
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return compile_glob(pattern, ignore_case).match(value) is not None


# ---- policy variables (only under Version 2012-10-17) ----

def resolve_variable(expression: str, lookup: Callable[[str], object]) -> str | None:
    """The text one `${...}` stands for, or None when the key is missing or multi-valued."""
    expression = expression.strip()
    if expression in _ESCAPED_VARIABLES:
        return _ESCAPED_VARIABLES[expression]
    name, default = expression, None
    if "," in expression:
        name, _, rest = expression.partition(",")
        name, rest = name.strip(), rest.strip()
        if len(rest) >= 2 and rest[0] == rest[-1] == "'":
            default = rest[1:-1]
    value = lookup(name.lower())
    if value is None or value is _MISSING:
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return default  # multi-valued keys cannot be substituted
    return str(value)


def substitute(text: str, lookup: Callable[[str], object]) -> str | None:
    """Literal substitution (for StringEquals-like operators). None if a variable cannot resolve."""
    failed = False

    def repl(match: re.Match[str]) -> str:
        nonlocal failed
        value = resolve_variable(match.group(1), lookup)
        if value is None:
            failed = True
            return ""
        return value

    result = _VARIABLE.sub(repl, text)
    return None if failed else result


def _pattern_source(text: str, lookup: Callable[[str], object] | None, colon_free: bool) -> str | None:
    """Regex source for a glob that may hold variables; substituted text is literal."""
    if lookup is None or "${" not in text:
        return _glob_source(text, colon_free)
    out, pos = [], 0
    for match in _VARIABLE.finditer(text):
        out.append(_glob_source(text[pos:match.start()], colon_free))
        value = resolve_variable(match.group(1), lookup)
        if value is None:
            return None
        out.append(re.escape(value))
        pos = match.end()
    out.append(_glob_source(text[pos:], colon_free))
    return "".join(out)


def pattern_match(pattern: str, value: str, lookup: Callable[[str], object] | None,
                  ignore_case: bool = False) -> bool:
    """StringLike-style match, substituting policy variables when `lookup` is given."""
    if lookup is None or "${" not in pattern:
        return glob_match(pattern, value, ignore_case)
    source = _pattern_source(pattern, lookup, False)
    if source is None:
        return False
    return _compiled(source + r"\Z", ignore_case).match(value) is not None


@lru_cache(maxsize=4096)
def _compiled(source: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


# ---- ARNs ----

def split_arn(text: str) -> list[str]:
    """Split on the first five colons, ignoring colons inside `${...}` variables."""
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text) and len(parts) < 5:
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        ch = text[i]
        if ch == "}" and depth:
            depth -= 1
        elif ch == ":" and not depth:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def is_arn_pattern(text: str) -> bool:
    parts = split_arn(text)
    return len(parts) == 6 and parts[0] == "arn"


def _arn_source(pattern: str, lookup: Callable[[str], object] | None) -> str | None:
    parts = split_arn(pattern)
    if len(parts) != 6:
        return None
    sources = []
    for index, part in enumerate(parts):
        source = _pattern_source(part, lookup, colon_free=index < 5)
        if source is None:
            return None
        sources.append(source)
    return ":".join(sources) + r"\Z"


@lru_cache(maxsize=4096)
def compile_arn(pattern: str) -> re.Pattern[str] | None:
    """Compiled ARN pattern without variables; None when it is not a 6-segment ARN."""
    source = _arn_source(pattern, None)
    return None if source is None else re.compile(source, re.DOTALL)


def arn_match(pattern: str, arn: str, lookup: Callable[[str], object] | None = None) -> bool:
    """Segment-wise, case-sensitive ARN match; `*` alone matches anything."""
    if pattern == "*":
        return True
    if lookup is not None and "${" in pattern:
        source = _arn_source(pattern, lookup)
        return source is not None and _compiled(source, False).match(arn) is not None
    if is_literal(pattern):
        return pattern == arn
    compiled = compile_arn(pattern)
    return compiled is not None and compiled.match(arn) is not None


# ---- actions ----

class ActionMatcher:
    """A precompiled set of action patterns, matched case-insensitively."""

    __slots__ = ("exact", "regex", "match_all", "_cache")

    def __init__(self, patterns: tuple[str, ...]):
        lowered = [p.lower() for p in patterns]
        self.match_all = "*" in lowered
        self.exact = frozenset(p for p in lowered if is_literal(p))
        wild = [p for p in lowered if not is_literal(p)]
        self.regex = re.compile("(?:%s)\\Z" % "|".join(_glob_source(p, False) for p in wild)) if wild else None
        self._cache: dict[str, bool] = {}

    def matches(self, action_lower: str) -> bool:
        hit = self._cache.get(action_lower)
        if hit is None:
            hit = self.match_all or action_lower in self.exact or (
                self.regex is not None and self.regex.match(action_lower) is not None)
            if len(self._cache) < 1024:
                self._cache[action_lower] = hit
        return hit


def lookup_in(context: Mapping[str, object]) -> Callable[[str], object]:
    """A variable lookup over a lower-cased context mapping."""
    return lambda name: context.get(name, _MISSING)
