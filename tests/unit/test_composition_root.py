"""`bootstrap()` is the one composition root: nothing it builds can call it again.

Whatever importing `entrypoints.bootstrap` runs (its imports, theirs, and the packages that hold them,
function-level imports included) must not import `entrypoints.bootstrap` back: a worker, a middleware
or an actor that needs services is given them by whoever called `bootstrap()`.
"""

from __future__ import annotations

import grimp

ROOT = "entrypoints.bootstrap"


def _runs_on_import(graph: grimp.ImportGraph, module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        parts = current.split(".")
        parents = {".".join(parts[:n]) for n in range(1, len(parts))}  # imported before the module itself
        for found in graph.find_modules_directly_imported_by(current) | parents:
            if found not in seen and found in graph.modules:
                seen.add(found)
                todo.append(found)
    return seen


def test_nothing_bootstrap_builds_imports_bootstrap() -> None:
    graph = grimp.build_graph("domain", "application", "adapters", "entrypoints", exclude_type_checking_imports=True)
    built = _runs_on_import(graph, ROOT)
    assert built  # the graph was read
    importers = sorted(m for m in built if ROOT in graph.find_modules_directly_imported_by(m))
    assert importers == []
