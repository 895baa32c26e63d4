"""The tests' own layout: what tests share lives in tests/support/, fixtures in tests/conftest.py,
and no test module imports another (a test module is there to be run, not used: importing one
ties tests that have nothing to do with each other, and hides helpers where no one looks); and the
`perf` marker picks out the tests of performance invariants."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SUPPORT = TESTS / "support"


def imported(source: str, package: str) -> set[str]:
    """Every module that `source`, a module of `package`, imports, as dotted names: relative imports
    resolved, and `from tests import x` counted as importing `tests.x` too."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def not_to_import(path: Path, package: str) -> list[str]:
    """What `path` imports that it must not: a test module, or conftest (fixtures come as arguments)."""
    return sorted(
        name for name in imported(path.read_text(), package)
        if name == "tests.conftest" or (name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_"))
    )


def test_no_test_module_imports_another():
    found = [f"{path.name} imports {name}" for path in sorted(TESTS.glob("test_*.py"))
             for name in not_to_import(path, "tests")]
    assert not found, "move what they share to tests/support/:\n" + "\n".join(found)


def test_support_imports_no_test_module_and_no_fixtures():
    helpers = sorted(SUPPORT.glob("*.py"))
    assert len(helpers) > 1, "tests/support/ holds the helpers"
    found = [f"support/{path.name} imports {name}" for path in helpers
             for name in not_to_import(path, "tests.support")]
    assert not found, "\n".join(found)


def test_the_top_of_tests_holds_only_tests_and_fixtures():
    others = sorted(p.name for p in TESTS.glob("*.py")
                    if not p.name.startswith("test_") and p.name not in {"conftest.py", "__init__.py"})
    assert not others, f"helpers belong in tests/support/: {others}"


@pytest.mark.parametrize("spelling", [
    "from tests.test_fuzz import seed", "import tests.test_fuzz", "import tests.test_fuzz as fuzz",
    "from tests import test_fuzz", "from .test_fuzz import seed", "from . import test_fuzz",
    "def later():\n    from tests.test_fuzz import seed",
])
def test_every_way_of_importing_a_test_module_is_seen(spelling):
    assert "tests.test_fuzz" in imported(spelling, "tests")


def test_helpers_imported_from_support_are_not_taken_for_test_modules():
    names = imported("from tests.support.live_helpers import WORKLIST\nfrom .support import ws_client", "tests")
    assert not [n for n in names if n.rsplit(".", 1)[-1].startswith("test_")], names




def marked_perf(path: Path) -> set[str]:
    """The tests of the module at `path` that carry the `perf` marker, theirs or their module's."""
    tree = ast.parse(path.read_text())
    tests = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")]
    whole = any(isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in n.targets)
                and "pytest.mark.perf" in ast.unparse(n.value) for n in tree.body)
    return {t.name for t in tests if whole or any(ast.unparse(d) == "pytest.mark.perf" for d in t.decorator_list)}


def test_the_performance_invariants_are_marked_perf_and_a_default_run_runs_them():
    assert marked_perf(TESTS / "test_studies_query.py") == {
        "test_a_page_reads_its_assignees_in_one_statement_and_only_when_asked"}
    assert marked_perf(TESTS / "test_gc_after_bursts.py") == {
        "test_one_collection_after_a_burst_and_none_for_a_trickle", "test_the_app_counts_accepted_connections"}
    assert "test_the_short_way_is_in_use_with_the_installed_graphql_core" in marked_perf(TESTS / "test_execution.py")
    options = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("perf:") for m in options["markers"])
    assert "-m" not in options.get("addopts", "").split()  # `pytest` alone runs them with the rest
