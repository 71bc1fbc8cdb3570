"""Turn a file's text (YAML or JSON) into a plain, JSON-ready mapping.

Two choices here make documents load the way their authors meant:

* YAML timestamps (``dateIn: 2024-01-01``, ``value: 2030-01-01T04:00:00Z``) stay the
  strings they were written as. PyYAML would make ``date``/``datetime`` objects of them,
  which neither JSON Schema (``type: string``) nor JSON output accept, and converting
  back would not give the text the author wrote.
* Duplicate keys in one mapping are reported: PyYAML silently keeps the last one, so the
  first value an author wrote would vanish without a word.

A document nested deeper than :data:`MAX_DEPTH` levels is refused (code
:data:`DEPTH_CODE`) before it is built: composing a hostile YAML document ten thousand
levels deep overflows the C stack of the YAML library (a crash, not an error), and
Python's own recursion limit stops the JSON decoder and every walk of the document.
Real documents stay far below (a deeply nested ODCS contract is about ten levels).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from contracts._issues import ROOT, DocumentInvalid, DocumentIssue, format_path

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that keeps YAML timestamps as the text written."""


def _timestamp_as_written(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_written)

#: Deepest nesting of mappings and lists a document may have (the gateway's upstream JSON
#: reader has the same bound, ``gateway.upstream.jsondoc.MAX_DEPTH``).
MAX_DEPTH = 128
#: The ``code`` of the issue of a document nested deeper than :data:`MAX_DEPTH`.
DEPTH_CODE = "document_too_deep"

_KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp")


def read_document(data: str | bytes | Mapping[str, Any], source: str) -> dict[str, Any]:
    """Parse ``data`` (YAML or JSON text, or an already parsed mapping) into a plain dict.

    Raises :class:`DocumentInvalid` for syntax errors (with line and column), duplicate
    keys, several documents in one file, or a top level that is not a mapping.
    """
    if isinstance(data, Mapping):
        value: Any = data
        _check_depth(value, source)
    else:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        parse = _parse_json if source.endswith(".json") else _parse_yaml
        value = parse(text, source)
    if not isinstance(value, Mapping):
        kind = "nothing" if value is None else type(value).__name__
        raise DocumentInvalid(
            [DocumentIssue(source, ROOT, f"the document holds {kind}", "a mapping of fields")]
        )
    result = to_plain(value)
    assert isinstance(result, dict)
    return result


def to_plain(value: Any) -> Any:
    """Copy ``value`` into JSON-ready types: dates become ISO strings, tuples lists."""
    if isinstance(value, Mapping):
        return {_key(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, dt.date):  # covers datetime too
        return value.isoformat()
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):  # YAML 1.1 reads `on:` / `yes:` as booleans
        return str(key).lower()
    return key if isinstance(key, str) else str(key)


def _parse_json(text: str, source: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, val in pairs:
            if key in seen:
                raise DocumentInvalid(
                    [DocumentIssue(source, ROOT, f"duplicate key {key!r}", "unique keys")]
                )
            seen[key] = val
        return seen

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        message = f"JSON syntax error: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise DocumentInvalid([DocumentIssue(source, ROOT, message)]) from None
    except RecursionError:  # the decoder's own bound, far past ours
        raise DocumentInvalid([_too_deep(source)]) from None
    _check_depth(value, source)
    return value


def _too_deep(source: str, line: int | None = None) -> DocumentIssue:
    where = f" (line {line})" if line is not None else ""
    return DocumentIssue(
        source,
        ROOT,
        f"the document is nested deeper than {MAX_DEPTH} levels{where}",
        f"at most {MAX_DEPTH} levels of mappings and lists",
        code=DEPTH_CODE,
    )


def _check_depth(value: Any, source: str) -> None:
    """Refuse a parsed value nested deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise DocumentInvalid([_too_deep(source)])
        stack.extend((child, depth + 1) for child in children)


def _check_yaml_depth(text: str, source: str) -> None:
    """Refuse YAML nested deeper than :data:`MAX_DEPTH` from its parse events, before any
    node is composed (composing is recursive in C). Syntax errors are left to the parse."""
    loader = _Loader(text)
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    line = mark.line + 1 if mark is not None else None
                    raise DocumentInvalid([_too_deep(source, line)])
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
            elif isinstance(event, yaml.StreamEndEvent):
                return
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def _parse_yaml(text: str, source: str) -> Any:
    _check_yaml_depth(text, source)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = list(_duplicate_keys(node, [], set()))
        if duplicates:
            raise DocumentInvalid([DocumentIssue(source, *d) for d in duplicates])
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise DocumentInvalid([DocumentIssue(source, ROOT, _yaml_message(exc))]) from None
    except yaml.YAMLError as exc:  # unmarked errors are rare (e.g. bad encoding)
        raise DocumentInvalid([DocumentIssue(source, ROOT, f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if "expected a single document" in (exc.context or ""):
        problem = "several YAML documents in one file; a file holds one document"
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    return f"YAML syntax error: {problem}{where}"


def _duplicate_keys(
    node: yaml.Node, path: list[str | int], visited: set[int]
) -> Iterator[tuple[str, str, str]]:
    """Yield ``(path, message, expected)`` for each key written twice in one mapping."""
    if id(node) in visited:  # an alias: its anchor was checked already (and may recurse)
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key_node.tag in _KEY_TAGS:
                line = key_node.start_mark.line + 1
                if key in seen:
                    yield (
                        format_path([*path, key]),
                        f"duplicate key {key!r} on line {line} (first on line {seen[key]})",
                        "each key once per mapping",
                    )
                else:
                    seen[key] = line
            yield from _duplicate_keys(
                value_node, [*path, key if key is not None else "?"], visited
            )
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, [*path, index], visited)
