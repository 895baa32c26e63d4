"""The benchmarks follow the package layout: every bench module imports, and every path of ours
that the profile buckets py-spy frames by names a file that exists (a stale one would silently
count nothing, and the profile would put the time elsewhere)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH_MODULES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in {"__init__", "__main__"})
# The top-level names our code has had: a frame path starting with one is ours.
OURS = ("autoscribe/", "resolvers/", "schema/", "db/")


@pytest.mark.parametrize("name", BENCH_MODULES)
def test_every_bench_module_imports(name):
    importlib.import_module(f"bench.{name}")


def test_the_profiles_paths_name_files_of_the_checkout():
    source = (ROOT / "bench" / "profile.py").read_text()
    named = {m for m in re.findall(r'"\(?([\w/]+(?:\.py)?)', source) if m.startswith(OURS)}
    named |= {m for m in re.findall(r"\((\w+/[\w/]+\.py)", source) if m.startswith(OURS)}
    assert named, "the profile names none of our files"
    files = [p.relative_to(ROOT).as_posix() for p in (ROOT / "autoscribe").rglob("*.py")]
    missing = sorted(path for path in named if not any(f.startswith(path) for f in files))
    assert not missing, f"bench/profile.py counts frames of files that do not exist: {missing}"
