"""Print the schema's SDL; ``make schema`` writes it to ``schema/schema.graphql``."""

from __future__ import annotations

from pathlib import Path

from schema.build import build_schema

SNAPSHOT = Path(__file__).with_name("schema.graphql")


def current_sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    SNAPSHOT.write_text(current_sdl())
    print(f"wrote {SNAPSHOT}")
