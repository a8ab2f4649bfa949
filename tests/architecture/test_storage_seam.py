"""Storage behind ports: SQL, SQLite and FTS5 live only in ``store/sqlite/``, FAISS only in
``store/faiss/``; everything else speaks the ports (``store/ports.py``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "picsift"
SQLITE = PACKAGE / "store" / "sqlite"
FAISS = PACKAGE / "store" / "faiss"
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|"
    r"json_each|\bMATCH\b|PRAGMA)\b",
    re.IGNORECASE,
)


def _outside(folder: Path) -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if folder not in p.parents]


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_sql_outside_the_sqlite_implementation() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {s[:60]!r}"
        for p in _outside(SQLITE)
        for s in _strings(p)
        if SQL.search(s) or ".execute(" in s
    ]
    offenders += [
        f"{p.relative_to(PACKAGE)} imports sqlite3"
        for p in _outside(SQLITE)
        if "sqlite3" in _imports(p)
    ]
    assert offenders == []


# FAISS as a computation, not as storage: HDBSCAN's neighbour graph.
FAISS_AS_MATHS = {"cluster/fit.py"}


def test_no_faiss_storage_outside_the_faiss_implementation() -> None:
    users = {str(p.relative_to(PACKAGE)) for p in _outside(FAISS) if "faiss" in _imports(p)}
    assert users == FAISS_AS_MATHS
