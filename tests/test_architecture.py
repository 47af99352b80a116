"""The layout holds: no import cycle between modules or between packages, the layer contract is kept,
rules never reach into the engine or each other, and the cold path imports no rule it does not need."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("optimizer", include_external_packages=False)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_modules(graph):
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def _package(module: str, depth: int) -> str:
    return ".".join(module.split(".")[:depth])


@pytest.mark.parametrize("depth", [2, 3])
def test_no_import_cycle_between_packages(graph, depth):
    """``optimizer.rules`` ↔ ``optimizer.engine`` (depth 2), ``optimizer.rules.packages`` ↔
    ``optimizer.rules.layers`` (depth 3): packages form a DAG too."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for target in graph.find_modules_directly_imported_by(module):
            a, b = _package(module, depth), _package(target, depth)
            if a != b:
                edges.setdefault(a, set()).add(b)
    assert _cycles(edges) == []


def test_rules_never_import_the_engine_or_another_family(graph):
    for module in graph.modules:
        if not module.startswith("optimizer.rules."):
            continue
        for target in graph.find_modules_directly_imported_by(module):
            assert not target.startswith("optimizer.engine"), f"{module} imports {target}"
            parts, target_parts = module.split("."), target.split(".")
            if len(parts) >= 4 and len(target_parts) >= 4 and target_parts[:2] == ["optimizer", "rules"]:
                assert parts[2] == target_parts[2], f"{module} reaches into another family: {target}"


@pytest.mark.skipif(
    shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None,
    reason="import-linter is in the test extra",
)
def test_layer_contract_is_kept():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
