"""Decode a product's JSON answer, its nesting bounded before the parser sees it.

Python's ``json`` parser recurses once per array or object level: an answer nested a few
thousand levels deep (a few kilobytes of ``[``) makes it raise ``RecursionError``, which
is not a ``ValueError`` and escaped every handler meant for "not JSON". So the depth is
measured first and an answer deeper than ``max_depth`` is refused like any other that is
not JSON: with :class:`NotJson`, whose ``reason`` is for the log.

The measure costs about what parsing does, and runs in C but for one step: escaped
backslashes and quotes are cut out (``bytes.replace``), every byte but quotes and
brackets deleted (``bytes.translate``), the strings dropped (every other piece of a
split on quotes), and the deepest level is the largest running sum of +1 per opening
and -1 per closing bracket (``itertools.accumulate``, chunk by chunk, stopping at the
first chunk that goes past the limit). Unbalanced brackets need no check of their own:
the parser is never deeper than that running sum, valid document or not.

The body must be UTF-8 (RFC 8259, section 8.1), which also makes the byte scan exact:
in UTF-8 a quote, a backslash or a bracket byte is always that character.
"""

from __future__ import annotations

import codecs
import json
from itertools import accumulate
from typing import Any

# Deeper than any product document (a contract nests about ten levels) and far below
# the interpreter's recursion limit.
MAX_DEPTH = 128

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = [0] * 256  # +1 per opening bracket, -1 per closing one
for _byte in b"[{":
    _STEP[_byte] = 1
for _byte in b"]}":
    _STEP[_byte] = -1
_CHUNK = 1 << 16


class NotJson(ValueError):
    """The body is not a JSON document this gateway reads; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode(body: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of ``body``, nested at most ``max_depth`` levels.

    >>> decode(b'{"a": [1, {"b": "]]]"}]}')
    {'a': [1, {'b': ']]]'}]}
    >>> decode(b"[" * 200 + b"]" * 200)
    Traceback (most recent call last):
    gateway.upstream.jsondoc.NotJson: nested deeper than 128 levels
    >>> decode(b"[[[1]")
    Traceback (most recent call last):
    gateway.upstream.jsondoc.NotJson: not JSON: Expecting ',' delimiter at char 5
    >>> decode(b"<html>")
    Traceback (most recent call last):
    gateway.upstream.jsondoc.NotJson: not JSON: Expecting value at char 0
    """
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NotJson("not UTF-8") from None
    if nesting_depth(body, max_depth) > max_depth:
        raise NotJson(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotJson(f"not JSON: {exc.msg} at char {exc.pos}") from None
    except RecursionError:  # only if the caller's stack is already nearly full
        raise NotJson("nested too deeply for the parser") from None


def nesting_depth(body: bytes, limit: int) -> int:
    """How deeply arrays and objects nest in ``body``; once past ``limit`` the count
    stops at the end of the current 64 KiB chunk, so it may be short of the true depth.

    Brackets inside strings (escaped quotes included) do not count.

    >>> nesting_depth(rb'{"a": [[], {"b\\"": "[[\\\\"}, "\\"]"]}', 10)
    3
    >>> nesting_depth(b"[" * 50 + b"]" * 50, 10)
    50
    >>> nesting_depth(b'"a string, no nesting"', 10)
    0
    """
    structure = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = b"".join(structure.split(b'"')[::2])  # the even pieces are outside strings
    level = deepest = 0
    for start in range(0, len(brackets), _CHUNK):
        chunk = brackets[start : start + _CHUNK]
        deepest = max(deepest, max(accumulate(map(_STEP.__getitem__, chunk), initial=level)))
        if deepest > limit:
            break
        level += chunk.count(b"[") + chunk.count(b"{") - chunk.count(b"]") - chunk.count(b"}")
    return deepest
