"""API keys: stored as SHA-256 only, verified in constant time, made by the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.identity.apikeys import ApiKeyConfigError, ApiKeys, digest, entry_yaml, new_key


def keys_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "keys.yaml"
    path.write_text(body)
    return str(path)


def test_a_key_verifies_and_nothing_else_does(tmp_path: Path) -> None:
    key, stored = new_key("report", ["Analyst"])
    text = "keys:\n" + "".join(f"  {line}\n" for line in entry_yaml(stored).splitlines())
    assert key not in text and digest(key) in text  # only the hash is written
    keys = ApiKeys.load(keys_file(tmp_path, text))
    principal = keys.verify(key)
    assert principal is not None and principal.kind == "service"
    assert principal.subject == "report" and principal.roles == frozenset({"analyst"})
    other, _ = new_key("x", [])
    assert keys.verify(other) is None  # unknown id
    assert keys.verify(key[:-2] + "zz") is None  # right id, wrong secret
    assert keys.verify("mgk_" + "0" * 8) is None


def test_the_keys_file_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ApiKeyConfigError, match=r"keys\[0\].sha256"):
        ApiKeys.load(keys_file(tmp_path, "keys:\n  - {id: 0123abcd, name: a, sha256: nope}\n"))
    with pytest.raises(ApiKeyConfigError, match="list under 'keys'"):
        ApiKeys.load(keys_file(tmp_path, "- a\n"))


def test_the_cli_prints_the_key_once_and_the_entry_apart(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "apikey", "new", "svc", "--roles", "a,b"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = done.stdout.strip()
    assert key.startswith("mgk_") and digest(key) in done.stderr and key not in done.stderr
    text = "keys:\n" + "\n".join(done.stderr.splitlines()[1:]) + "\n"
    principal = ApiKeys.load(keys_file(tmp_path, text)).verify(key)
    assert principal is not None and principal.roles == frozenset({"a", "b"})
