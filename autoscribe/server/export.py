"""Print the schema's SDL into schema.graphql: `python -m autoscribe.server.export`."""

from pathlib import Path

from autoscribe.server.engine.schema import sdl

TARGET = Path(__file__).resolve().parents[2] / "schema.graphql"

if __name__ == "__main__":
    TARGET.write_text(sdl())
    print(f"wrote {TARGET}")
