"""Decode a product's JSON answer, its nesting bounded before the parser sees it.

Python's ``json`` parser recurses once per array or object level: an answer nested a few
thousand levels deep (a few kilobytes of ``[``) makes it raise ``RecursionError``, which
is not a ``ValueError`` and escaped every handler meant for "not JSON". So the depth is
measured first, by a scan whose loops all run in C (strings cut out by one regular
expression, every byte but a bracket deleted by ``bytes.translate``, then innermost
pairs removed one level per pass, at most ``max_depth + 1`` passes), and an answer
deeper than ``max_depth`` is refused like any other that is not JSON: with
:class:`NotJson`, whose ``reason`` is for the log.

The body must be UTF-8 (RFC 8259, section 8.1), which also makes the byte scan exact:
in UTF-8 a quote, a backslash or a bracket byte is always that character.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

# Deeper than any product document (a contract nests about ten levels) and far below
# the interpreter's recursion limit.
MAX_DEPTH = 128

# A JSON string: quote, anything but quote or backslash, escapes, quote.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


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
    gateway.upstream.jsondoc.NotJson: brackets do not balance
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
    """How deeply arrays and objects nest in ``body``, counted up to ``limit + 1``.

    Brackets inside strings do not count. Raises :class:`NotJson` when the brackets do
    not balance (no JSON document's do), so an unclosed ``[[[[...`` is refused too.

    >>> nesting_depth(b'{"a": [[], {"b": "[[["}]}', 10)
    3
    >>> nesting_depth(b"[" * 50 + b"]" * 50, 10)
    11
    >>> nesting_depth(b'"a string, no nesting"', 10)
    0
    """
    brackets = _STRING.sub(b"", body).translate(_ONE_KIND, _NOT_BRACKETS)
    depth = 0
    while brackets and depth <= limit:
        inner_removed = brackets.replace(b"[]", b"")
        if inner_removed == brackets:
            raise NotJson("brackets do not balance")
        brackets = inner_removed
        depth += 1
    return depth
