"""Turn a file's text (YAML or JSON) into a plain, JSON-ready mapping.

Two choices here make documents load the way their authors meant:

* YAML timestamps (``dateIn: 2024-01-01``, ``value: 2030-01-01T04:00:00Z``) stay the
  strings they were written as. PyYAML would make ``date``/``datetime`` objects of them,
  which neither JSON Schema (``type: string``) nor JSON output accept, and converting
  back would not give the text the author wrote.
* Duplicate keys in one mapping are reported: PyYAML silently keeps the last one, so the
  first value an author wrote would vanish without a word.
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

_KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp")


def read_document(data: str | bytes | Mapping[str, Any], source: str) -> dict[str, Any]:
    """Parse ``data`` (YAML or JSON text, or an already parsed mapping) into a plain dict.

    Raises :class:`DocumentInvalid` for syntax errors (with line and column), duplicate
    keys, several documents in one file, or a top level that is not a mapping.
    """
    if isinstance(data, Mapping):
        value: Any = data
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
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        message = f"JSON syntax error: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise DocumentInvalid([DocumentIssue(source, ROOT, message)]) from None


def _parse_yaml(text: str, source: str) -> Any:
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
