"""SQL you can grep: every `.sql` file under assets/ is named, as a literal string, by the code of
its own stage folder (a call or a closed map such as rows.TABLES), no file name is built from
pieces, and every name the code spells has its file. So `grep -rn <file name>` finds its caller,
and renaming a file without its caller fails here rather than on the one run that reaches it."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from assets.warehouse.connect import PROJECT_ROOT

ASSETS = PROJECT_ROOT / "assets"
# Numbered migrations (`migrations/0001_<what>.sql`) are the exception: the schema applies every
# one in number order, found by listing their folder, so none has a caller to name it.
MIGRATION = re.compile(r"migrations/[0-9]+_[a-z0-9_]+\.sql")
SQL_FILES = sorted(p for p in ASSETS.rglob("*.sql") if not MIGRATION.search(p.as_posix()))
MODULES = sorted(ASSETS.rglob("*.py"))
# What a SQL file's name looks like: verb_table, the verbs in use.
SQL_NAME = re.compile(r"(select|insert|create|delete|update|count|drop)_[a-z0-9_]+")


def rel(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


@cache
def tree(module: Path) -> ast.Module:
    return ast.parse(module.read_text(), filename=str(module))


def strings(module: Path) -> set[str]:
    """The string literals of a module's code: docstrings and other bare strings left out, so
    a file named only in prose does not count as loaded."""
    bare = {id(node.value) for node in ast.walk(tree(module)) if isinstance(node, ast.Expr)}
    return {
        node.value
        for node in ast.walk(tree(module))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare
    }


def test_there_are_sql_files_and_modules_to_check():
    assert len(SQL_FILES) > 50 and len(MODULES) > 20


@pytest.mark.parametrize("path", SQL_FILES, ids=rel)
def test_every_sql_file_is_named_by_its_stages_code(path):
    assert path.parent.name == "sql", f"{rel(path)}: a stage's SQL lives in its sql/ folder"
    stage = path.parent.parent
    named = set().union(*(strings(module) for module in stage.glob("*.py")))
    assert path.stem in named, f"{rel(path)} is loaded by no literal name in {rel(stage)}/*.py"


def loaded_names(module: Path) -> set[str]:
    """The file names a module loads: the literal name of each `sql(...)`, `table_sql(...)`
    and `query_file(con, ...)` call, and the values of each closed map of names (a dict whose
    values are all SQL file names)."""
    names = set()
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            position = {"sql": 0, "table_sql": 0, "query_file": 1}.get(node.func.id)
            if position is not None and len(node.args) > position:
                names.add(node.args[position])
        elif isinstance(node, ast.Dict) and node.values:
            values = [v.value if isinstance(v, ast.Constant) else None for v in node.values]
            if all(isinstance(v, str) and SQL_NAME.fullmatch(v) for v in values):
                names.update(node.values)
    return {n.value for n in names if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@pytest.mark.parametrize("module", MODULES, ids=rel)
def test_every_sql_file_the_code_loads_exists(module):
    """Each name a module loads is a file of the sql/ folder beside it."""
    folder = module.parent / "sql"
    missing = sorted(name for name in loaded_names(module) if not (folder / f"{name}.sql").is_file())
    assert not missing, f"{rel(module)} loads files {rel(folder)}/ lacks: {missing}"


def built_prefixes(module: Path) -> list[str]:
    """The literal start of every string built at run time (f-string, `+`, `%`, `.format`)."""
    found = []
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            found.append(node.values[0].value)
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, (ast.Add, ast.Mod))
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            found.append(node.left.value)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
            and isinstance(node.func.value.value, str)
        ):
            found.append(node.func.value.value.split("{")[0])
    return found


@pytest.mark.parametrize("module", MODULES, ids=rel)
def test_no_sql_file_name_is_built_from_pieces(module):
    """A built string that starts like a SQL file's name (`f"insert_into_{table}"`) would hide
    that file's caller from grep: the names vary only through a closed map of literals."""
    stems = {path.stem for path in SQL_FILES}
    built = [p for p in built_prefixes(module) if p and any(stem.startswith(p) for stem in stems)]
    assert not built, f"{rel(module)} builds SQL file names from: {built}"


@pytest.mark.parametrize("module", MODULES, ids=rel)
def test_no_sql_call_takes_an_f_string(module):
    source = module.read_text()
    calls = re.findall(r"\b(?:sql|query_file)\((?:[^()]*,\s*)?f[\"']", source)
    assert not calls, f"{rel(module)}: {calls}"
