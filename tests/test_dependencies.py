"""pyproject.toml declares what the code imports, and imports what it declares.

Each third-party module imported by the project's .py files maps to a declared distribution:
the installed package (assets/, pipelines/, training/) to `dependencies`, tests/ and
benchmarks/ to those or the `dev` extra. Each declared distribution is imported somewhere or
listed in RUNTIME_ONLY with the reason. A library that only arrives as another's dependency
can change or vanish with that one's next release, so the code must not lean on it unnamed.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ("assets", "pipelines", "training")
DEV_ONLY = ("tests", "benchmarks")
OWN = set(PACKAGED + DEV_ONLY)

# Declared, never imported: what each one is needed for.
RUNTIME_ONLY = {
    "gguf": "transformers reads SmolLM2's GGUF file (training/models.py) through it",
    "dagster-webserver": "`make ui` runs its `dagster dev`; the UI tests start it too",
    "ruff": "the linter and formatter, a command",
}


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it (`PyYAML` = `pyyaml`, `a_b` = `a-b`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalize(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group())


def declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    main = {requirement_name(r) for r in project["dependencies"]}
    dev = {requirement_name(r) for r in project["optional-dependencies"]["dev"]}
    return main, dev


def imported_modules(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """{top-level module: files importing it} over the .py files under `folders`, function-level
    imports included; relative imports, the standard library and our own packages left out."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OWN:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def distributions_of(modules: dict[str, set[str]]) -> tuple[dict[str, set[str]], list[str]]:
    """({distribution: modules it provides}, [modules no installed distribution provides])."""
    providers = importlib.metadata.packages_distributions()
    dists: dict[str, set[str]] = {}
    unknown = []
    for module in modules:
        if module not in providers:
            unknown.append(module)
        for dist in providers.get(module, []):
            dists.setdefault(normalize(dist), set()).add(module)
    return dists, sorted(unknown)


def test_the_installed_package_imports_only_its_dependencies():
    main, _ = declared()
    modules = imported_modules(PACKAGED)
    dists, unknown = distributions_of(modules)
    assert not unknown, f"imported, but no installed distribution provides them: {unknown}"
    missing = {d: sorted(f for m in dists[d] for f in modules[m]) for d in sorted(set(dists) - main)}
    assert not missing, f"imported by the package, missing from [project] dependencies: {missing}"


def test_tests_and_benchmarks_import_only_declared_distributions():
    main, dev = declared()
    modules = imported_modules(DEV_ONLY)
    dists, unknown = distributions_of(modules)
    assert not unknown, f"imported, but no installed distribution provides them: {unknown}"
    missing = {d: sorted(f for m in dists[d] for f in modules[m]) for d in sorted(set(dists) - main - dev)}
    assert not missing, f"imported by tests/ or benchmarks/, missing from the dev extra: {missing}"


def test_every_declared_distribution_is_imported_or_says_why_not():
    main, dev = declared()
    dists, _ = distributions_of(imported_modules(PACKAGED + DEV_ONLY))
    unused = sorted((main | dev) - set(dists) - set(RUNTIME_ONLY))
    assert not unused, f"declared in pyproject.toml, imported nowhere: {unused} (drop them, or add to RUNTIME_ONLY why)"
    assert set(RUNTIME_ONLY) <= main | dev, "RUNTIME_ONLY names a distribution no longer declared"


def test_the_scan_finds_function_level_imports():
    # `training/__main__.py` imports dagster_pipes inside main(), only under Pipes: a scan of
    # module-level imports alone would miss it, and with it the declaration it needs.
    assert "training/__main__.py" in imported_modules(("training",))["dagster_pipes"]
