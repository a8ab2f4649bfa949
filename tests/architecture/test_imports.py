"""The package import graph: which top-level packages of picsift import which, and no cycles
between them (a cycle means two concepts that cannot be understood or changed apart).

Imports under ``if TYPE_CHECKING:`` count too: they tie the packages together all the same.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[2] / "picsift"
# Cycles still to be cut; empty, and to stay so.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _unit(module: str) -> str | None:
    """``picsift.api.routes.x`` -> ``api``; top-level modules (``picsift.config``) are units."""
    parts = module.split(".")
    if parts[0] != "picsift" or len(parts) < 2:
        return None
    return parts[1]


def package_graph() -> nx.DiGraph:
    graph: defaultdict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        here = _unit(".".join(rel.parts))
        if here is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                there = _unit(name)
                if there is not None and there != here:
                    graph[here].add(there)
    return nx.DiGraph([(a, b) for a, targets in graph.items() for b in targets])


def test_api_and_web_do_not_import_each_other() -> None:
    graph = package_graph()
    assert graph.has_edge("web", "api") and not graph.has_edge("api", "web")
    assert graph.has_edge("app", "api") and graph.has_edge("app", "web")


def test_settings_import_no_store_and_imaging_no_settings() -> None:
    graph = package_graph()
    assert not graph.has_edge("config", "store") and not graph.has_edge("imaging", "config")


def test_describing_does_not_import_the_indexer() -> None:
    graph = package_graph()
    assert graph.has_edge("indexer", "describe") and not graph.has_edge("describe", "indexer")


def test_no_new_package_cycles() -> None:
    cycles = {frozenset(c) for c in nx.strongly_connected_components(package_graph()) if len(c) > 1}
    assert cycles <= KNOWN_CYCLES, sorted(map(sorted, cycles - KNOWN_CYCLES))
