"""The committed SDL, ``gateway/schema.graphql``: write it, or check it matches the code.

    python -m gateway.sdl          # rewrite gateway/schema.graphql from the code
    python -m gateway.sdl --check  # exit 1 if the file and the code differ

``strawberry export-schema gateway.sdl:schema`` prints the same text.
"""

import sys
from pathlib import Path

from strawberry.printer import print_schema

from gateway.schema.build import build_schema

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
REGENERATE = ".venv/bin/python -m gateway.sdl"

schema = build_schema()


def current_sdl() -> str:
    """The SDL of the schema the code defines, as committed (with a final newline)."""
    return print_schema(schema).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = current_sdl()
    if "--check" in args:
        if SCHEMA_FILE.read_text(encoding="utf-8") != text:
            print(f"{SCHEMA_FILE} is out of date: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    SCHEMA_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
