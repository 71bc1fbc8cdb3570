"""``${VAR}`` / ``${VAR:-default}`` placeholders in a contract's ``servers`` entries.

Teams keep hosts, ports and credentials out of contracts by writing placeholders that a
deployment fills in (``host: ${PG_HOST}``, ``port: ${PG_PORT:-5432}``). We resolve them
from an environment mapping, as a shell would: ``${VAR:-default}`` takes the default when
``VAR`` is unset or empty.

A value that was *only* a placeholder is typed the way the author meant it: a resolved
``port`` becomes an integer, since it would have been one had the number been written
in place. A placeholder that cannot be resolved stays as written, wrapped in
:class:`Unresolved` so the validator knows its value is not known yet and must not be
judged by type, pattern or enum (see ``contracts._validator``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# Server fields that ODCS types as integers; every other server field is text.
_INTEGER_FIELDS = frozenset({"port"})


class Unresolved(str):
    """A string still holding a placeholder that the environment did not fill."""

    __slots__ = ()


def has_placeholder(text: str) -> bool:
    """Whether ``text`` contains a ``${...}`` placeholder."""
    return _PLACEHOLDER.search(text) is not None


def substitute(text: str, env: Mapping[str, str]) -> str:
    """Fill each placeholder of ``text`` from ``env``; return :class:`Unresolved` if any
    placeholder remains (it is kept as written).

    >>> substitute("${HOST}:${PORT:-5432}", {"HOST": "db"})
    'db:5432'
    >>> type(substitute("${NOPE}", {})).__name__
    'Unresolved'
    """
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value:
            return value
        if default is not None:
            return default
        if value is not None:  # set but empty, no default: empty, as in a shell
            return value
        missing = True
        return match.group(0)

    result = _PLACEHOLDER.sub(fill, text)
    return Unresolved(result) if missing else result


def resolve_servers(document: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Return ``document`` with the placeholders of its ``servers`` entries resolved.

    Only ``servers`` is touched: elsewhere ``${...}`` is ordinary text (a SQL quality rule
    may well contain it). The input is not modified.
    """
    servers = document.get("servers")
    if not isinstance(servers, list):
        return document
    resolved = [_resolve_server(s, env) if isinstance(s, dict) else s for s in servers]
    return {**document, "servers": resolved}


def _resolve_server(server: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in server.items():
        if isinstance(value, str) and has_placeholder(value):
            filled = substitute(value, env)
            if key in _INTEGER_FIELDS and _is_whole(value) and _is_integer_text(filled):
                out[key] = int(filled)
            else:
                out[key] = filled
        else:
            # Nested values (access roles, custom properties) are not connection data.
            out[key] = value
    return out


def _is_whole(text: str) -> bool:
    match = _PLACEHOLDER.fullmatch(text.strip())
    return match is not None


def _is_integer_text(text: str) -> bool:
    return not isinstance(text, Unresolved) and text.strip().lstrip("+-").isdigit()


def plain(value: Any) -> Any:
    """Copy ``value`` with every :class:`Unresolved` turned back into a plain ``str``."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Unresolved):
        return str.__str__(value)
    return value
