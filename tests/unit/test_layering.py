"""`domain/` imports only the standard library; `application/` only `domain/` and the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update((str(path.relative_to(ROOT)), alias.name.split(".")[0]) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((str(path.relative_to(ROOT)), node.module.split(".")[0]))
    return found


@pytest.mark.parametrize(("package", "allowed"), [("domain", {"domain"}), ("application", {"domain", "application"})])
def test_inner_layers_import_only_the_standard_library(package: str, allowed: set[str]) -> None:
    allowed = allowed | set(sys.stdlib_module_names) | {"__future__"}
    strays = sorted((where, name) for where, name in _imports(package) if name not in allowed)
    assert strays == []
