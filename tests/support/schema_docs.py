"""Reading the schema's documentation: what an introspection result leaves undescribed, the limits
an input's rules check (its description has to state them), and graphql-schema-linter's verdict."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def _check(found: list[str], where: str, description: str | None) -> None:
    if not description or not description.strip():
        found.append(where)
    elif description[0] != description[0].upper():
        found.append(f"{where} (not capitalized)")


def undescribed(types: list[dict[str, Any]]) -> list[str]:
    """Every type, field, argument, input field and enum value of an introspection's `types` whose
    description is missing, blank, or starts with a lowercase letter: "Type", "Type.field",
    "Type.field(arg)", "Enum.VALUE"."""
    found: list[str] = []
    for t in types:
        _check(found, t["name"], t.get("description"))
        for field in t.get("fields") or []:
            _check(found, f"{t['name']}.{field['name']}", field.get("description"))
            for arg in field.get("args") or []:
                _check(found, f"{t['name']}.{field['name']}({arg['name']})", arg.get("description"))
        for field in t.get("inputFields") or []:
            _check(found, f"{t['name']}.{field['name']}", field.get("description"))
        for value in t.get("enumValues") or []:
            _check(found, f"{t['name']}.{value['name']}", value.get("description"))
    return sorted(found)


def _phrases(prop: dict[str, Any]) -> list[str]:
    """"at most 1,000 characters" for a maxLength, "at most 50" for a maxItems, in a field's JSON schema
    (through Optional's anyOf and a list's items)."""
    out = []
    for schema in prop.get("anyOf", [prop]):
        if "maxLength" in schema:
            out.append(f"at most {schema['maxLength']:,} characters")
        if "maxItems" in schema:
            out.append(f"at most {schema['maxItems']:,}")
        if "items" in schema:
            out += _phrases(schema["items"])
    return out


def stated_limits(rules: type[BaseModel]) -> dict[str, list[str]]:
    """{camelCase field: the phrases its description must hold} for the fields `rules` limits by
    length or count."""
    properties = rules.model_json_schema(by_alias=True)["properties"]
    return {name: phrases for name, prop in properties.items() if (phrases := _phrases(prop))}


# graphql-schema-linter's rules on descriptions, the ones schema.graphql must pass.
DESCRIPTION_RULES = (
    "types-have-descriptions",
    "fields-have-descriptions",
    "arguments-have-descriptions",
    "input-object-values-have-descriptions",
    "enum-values-have-descriptions",
    "descriptions-are-capitalized",
)
# Where .ci/run installs it (npm install --prefix), outside the repository.
LINTER_PREFIX = Path("/tmp/autoscribe-schema-linter")


def schema_linter() -> Path | None:
    """The graphql-schema-linter executable: AUTOSCRIBE_SCHEMA_LINTER, or .ci/run's install, or one on PATH."""
    named = os.environ.get("AUTOSCRIBE_SCHEMA_LINTER")
    if named:
        return Path(named)
    installed = LINTER_PREFIX / "node_modules" / ".bin" / "graphql-schema-linter"
    if installed.exists():
        return installed
    found = shutil.which("graphql-schema-linter")
    return Path(found) if found else None


def lint(linter: Path, schema: Path) -> tuple[int, list[dict[str, Any]]]:
    """(exit status, errors) of the description rules over the SDL file `schema`."""
    done = subprocess.run(
        [str(linter), "--rules", ",".join(DESCRIPTION_RULES), "--format", "json", str(schema)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    try:
        errors = json.loads(done.stdout)["errors"]
    except (ValueError, KeyError):
        raise AssertionError(f"graphql-schema-linter said no JSON (status {done.returncode}): {done.stdout}{done.stderr}")
    return done.returncode, errors
