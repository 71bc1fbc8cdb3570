"""The benchmarks' ``--…-env NAME=VALUE`` options: a dict, or an error naming the option."""

from __future__ import annotations

import argparse

import pytest

from bench.env_option import add_env_option


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(prog="bench", exit_on_error=False)
    add_env_option(made, "--before-env", "environment of one gateway")
    return made


def test_assignments_become_the_environment() -> None:
    args = parser().parse_args(["--before-env", "MESHGATE_EVENT_LOOP=uvloop", "A=b=c", "E="])
    assert args.before_env == {"MESHGATE_EVENT_LOOP": "uvloop", "A": "b=c", "E": ""}
    assert parser().parse_args([]).before_env == {}


@pytest.mark.parametrize("bad", ["MESHGATE_EVENT_LOOP", "=x", " A=x"])
def test_anything_else_is_refused_by_name(bad: str) -> None:
    with pytest.raises(argparse.ArgumentError) as caught:
        parser().parse_args(["--before-env", bad])
    assert str(caught.value) == f"argument --before-env: expected NAME=VALUE, got {bad!r}"
