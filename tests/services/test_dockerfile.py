"""The Dockerfile's promises, read from the file (no Docker engine runs here)."""

from __future__ import annotations

import fnmatch
import json
import shlex
from pathlib import Path

from gateway.http.graphiql import ASSET_FILES

ROOT = Path(__file__).resolve().parents[2]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return [(word.upper(), rest.strip()) for word, _, rest in (ln.partition(" ") for ln in logical)]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for op, args in instructions((ROOT / "Dockerfile").read_text()):
        if op == "FROM":
            found.append([])
        assert found, "the Dockerfile must start with FROM"
        found[-1].append((op, args))
    return found


def test_final_image_is_python_slim_and_runs_meshgate_serve_as_non_root() -> None:
    final = stages()[-1]
    assert final[0][1] == "python:3.11-slim"
    ops = [op for op, _ in final]
    users = [args for op, args in final if op == "USER"]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:")
    cmd = [args for op, args in final if op == "CMD"]
    assert [json.loads(c) for c in cmd] == [["meshgate", "serve", "--host", "0.0.0.0"]]
    assert ops.index("USER") < ops.index("CMD")
    assert ("EXPOSE", "8000") in final


def test_final_image_installs_the_project_with_pip() -> None:
    final = stages()[-1]
    runs = [args for op, args in final if op == "RUN"]
    assert any(shlex.split(r)[:3] == ["pip", "install", "."] for r in runs)
    copied = {shlex.split(args)[0] for op, args in final if op == "COPY" and "--from" not in args}
    for package in ("gateway", "schema", "resolvers", "contracts", "productkit", "pyproject.toml"):
        assert package in copied


def test_a_node_stage_runs_npm_ci_and_the_image_keeps_only_graphiql_files() -> None:
    node, *_, final = stages()
    assert node[0][1].startswith("node:") and " AS " in node[0][1].upper()
    runs = [shlex.split(args) for op, args in node if op == "RUN"]
    # The test-only tools (devDependencies) stay out of the image's build.
    assert ["npm", "ci", "--no-audit", "--no-fund", "--omit=dev"] in runs
    copy = next(cmd for cmd in runs if "--parents" in cmd)
    files = copy[copy.index("--parents") + 1 : -1]
    assert sorted(files) == sorted(ASSET_FILES)
    from_node = [args for op, args in final if op == "COPY" and args.startswith("--from")]
    assert from_node == ["--from=graphiql-assets /assets/node_modules /app/node_modules"]
    env = " ".join(args for op, args in final if op == "ENV")
    assert "MESHGATE_ASSETS_DIR=/app" in env


def test_every_copied_path_exists_and_is_not_docker_ignored() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for must_ignore in (".git", ".venv", ".run", "node_modules"):
        assert must_ignore in ignored
    for stage in stages():
        for op, args in stage:
            if op != "COPY" or args.startswith("--from"):
                continue
            *sources, _ = shlex.split(args)
            for src in sources:
                assert (ROOT / src).exists(), src
                assert not any(fnmatch.fnmatch(src, pattern) for pattern in ignored), src
