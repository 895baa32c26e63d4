"""Print the schema's SDL into schema.graphql: `python -m schema.export`."""

from pathlib import Path

from schema.root import sdl

TARGET = Path(__file__).resolve().parent.parent / "schema.graphql"

if __name__ == "__main__":
    TARGET.write_text(sdl())
    print(f"wrote {TARGET}")
