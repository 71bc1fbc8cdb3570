"""An OpenAPI-driven tool types the product gateway's answers from the served document.

``openapi-typescript`` (npm, pinned in package.json) turns the served
``/discover/openapi.json`` into TypeScript, and the TypeScript compiler then checks that
each route's answers are typed (neither ``unknown`` nor ``any``) and that a wrong value
is refused: ``GREEN`` is no health status. Before the answers had schemas, every answer
was a bare ``{"type": "object"}`` (no fields to type) and these checks fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from productkit.http.routes import ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]
# Where the npm tools are: the project's node_modules, or a folder named by this variable.
TOOLS_ENV = "MESHGATE_NODE_TOOLS"
UNTYPED = {("/discover/registration", "post")}  # a registry's answer, relayed as it came


def tool(name: str) -> Path:
    base = Path(os.environ.get(TOOLS_ENV, ROOT / "node_modules"))
    found = base / ".bin" / name
    if not found.exists() or shutil.which("node") is None:
        # A requirement, not an option: `make install` runs `npm ci`, which installs it.
        pytest.fail(f"{name} is not installed: run `make install` (npm ci, package.json)")
    return found


def typescript_checks(doc: dict[str, object]) -> str:
    """A TypeScript file that compiles only if every answer has a real type."""
    lines = [
        'import type { paths } from "./api";',
        "type IsLoose<T> = unknown extends T ? true : 0 extends 1 & T ? true : false;",
        'type Health = paths["/observe/health"]["get"]["responses"][200]'
        '["content"]["application/json"];',
        'export const up: Health["status"] = "UP";',
        "// @ts-expect-error GREEN is not a health status",
        'export const green: Health["status"] = "GREEN";',
        'export const when: Health["checks"][number]["latencyMs"] = null;',
        'type Page = paths["/consume/{table}"]["get"]["responses"][200]'
        '["content"]["application/json"];',
        "// @ts-expect-error limit is a number",
        'export const limit: Page["limit"] = "ten";',
    ]
    paths = doc["paths"]
    assert isinstance(paths, dict)
    for i, ep in enumerate(ENDPOINTS):
        method = ep.method.lower()
        if (ep.path, method) in UNTYPED:
            continue
        for status in paths[ep.path][method]["responses"]:
            lines.append(
                f"export const typed{i}_{status}: IsLoose<paths[{json.dumps(ep.path)}]"
                f'["{method}"]["responses"][{status}]["content"]["application/json"]>'
                " = false;"
            )
    return "\n".join(lines) + "\n"


def test_openapi_typescript_types_every_answer(client: httpx.Client, tmp_path: Path) -> None:
    generator, compiler = tool("openapi-typescript"), tool("tsc")
    doc = client.get("/discover/openapi.json").json()
    (tmp_path / "openapi.json").write_text(json.dumps(doc), encoding="utf-8")
    made = subprocess.run(
        [str(generator), "openapi.json", "-o", "api.d.ts"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    types = (tmp_path / "api.d.ts").read_text(encoding="utf-8")
    assert 'status: "UP" | "DEGRADED" | "DOWN" | "PAUSED" | "STOPPED";' in types
    (tmp_path / "check.ts").write_text(typescript_checks(doc), encoding="utf-8")
    checked = subprocess.run(
        [str(compiler), "--noEmit", "--strict", "--module", "esnext",
         "--moduleResolution", "bundler", "check.ts"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
