"""The import graph of ``src/ldnsim``: no cycle, and no import that climbs the layer table of
docs/architecture.md ("Layers").

Every ``import`` and ``from … import`` statement counts, at module level or inside a function (a lazy
import is still a dependency); imports under ``if TYPE_CHECKING:`` do not (they never run). ``from pkg import
name`` is an edge to the module ``pkg.name`` where that is a module, else to the module ``pkg`` re-exports
``name`` from (``from ldnsim import DISCLAIMER`` → ``ldnsim._disclaimer``), else to ``pkg``.
Run alone: ``python -m pytest tests/test_import_graph.py -q``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ldnsim"

#: layer of each module (longest matching prefix wins); lower index = lower layer. Mirrors
#: docs/architecture.md: a module may import from its own layer and the layers below it, never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("ldnsim.errors", "ldnsim._disclaimer", "ldnsim._io", "ldnsim._version"),
    ("ldnsim.data",),
    ("ldnsim.units",),
    ("ldnsim.pk",),
    ("ldnsim.receptors",),
    ("ldnsim.system",),
    ("ldnsim.regimen",),
    ("ldnsim.population",),
    ("ldnsim.model",),
    ("ldnsim.engines",),
    ("ldnsim.simulate",),
    ("ldnsim.immune",),
    ("ldnsim.trials",),
    ("ldnsim.calibration",),
    ("ldnsim.sbml",),
    ("ldnsim.clinical",),
    ("ldnsim.diary", "ldnsim.nof1"),
    ("ldnsim.cli", "ldnsim.web", "ldnsim.__main__", "ldnsim"),
)


#: known violations outside the model/engines area, each with who removes it (issue 12). A ratchet: a new
#: violation fails, and an entry that no longer occurs fails too until it is deleted from this table.
KNOWN_UPWARD: dict[str, str] = {}
KNOWN_CYCLES: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = ("ldnsim", *path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ``name`` (a module, or an attribute of one: the longest module prefix)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.AST) -> bool:
    t = node.test if isinstance(node, ast.If) else None
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement that can run, with whether it is at module level."""
    out: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def walk(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    walk(ast.Module(body=[sub], type_ignores=[]), top)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                out.append((child, top))
            scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            walk(child, top and not isinstance(child, scope))

    walk(tree, True)
    return out


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[tuple[str, str, str]]:
    """(absolute target, bound name, imported name) of each alias of an import statement."""
    if isinstance(node, ast.Import):
        return [(a.name, a.asname or a.name, "") for a in node.names]
    if node.level:
        base = package.split(".")
        base = base[: len(base) - (node.level - 1)]
        stem = ".".join(base + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    return [(f"{stem}.{a.name}", a.asname or a.name, a.name) for a in node.names]


def import_graph() -> dict[str, set[str]]:
    """``{module: {modules it imports}}`` over the ldnsim package (edges to outside packages dropped)."""
    modules = _modules()
    parsed = {mod: ast.parse(path.read_text(), str(path)) for mod, path in modules.items()}
    packages = {mod: (mod if path.name == "__init__.py" else mod.rpartition(".")[0])
                for mod, path in modules.items()}
    # names each package re-exports at import time: package -> {name: module it comes from}
    reexports: dict[str, dict[str, str]] = {}
    for mod, path in modules.items():
        if path.name != "__init__.py":
            continue
        names: dict[str, str] = {}
        for node, top in _imports(parsed[mod]):
            if top and isinstance(node, ast.ImportFrom):
                for target, bound, _ in _targets(node, packages[mod]):
                    src = _resolve(target, modules)
                    if src is not None and src != mod:
                        names[bound] = src
        reexports[mod] = names
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod in modules:
        for node, _ in _imports(parsed[mod]):
            for target, _, name in _targets(node, packages[mod]):
                if target.split(".")[0] != "ldnsim":
                    continue
                dep = _resolve(target, modules)
                if dep is not None and dep != target and name in reexports.get(dep, {}):
                    dep = reexports[dep][name]
                if dep is not None and dep != mod:
                    graph[mod].add(dep)
    return graph


def layer_of(module: str) -> int:
    best, level = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, level = len(p), i
    if level < 0:
        raise AssertionError(f"{module} is in no layer of LAYERS (tests/test_import_graph.py)")
    return level


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps if layer_of(d) > layer_of(m))


def test_graph_sees_every_module_and_lazy_imports():
    graph = import_graph()
    assert "ldnsim.simulate" in graph and "ldnsim.system._rhs" in graph
    # a function-level import is an edge (regimen's lazy `from .pk import resolve_drug`, re-exported by
    # ldnsim.pk from its module _drugs)
    assert "ldnsim.pk._drugs" in graph["ldnsim.regimen"]
    assert "ldnsim.simulate" in graph["ldnsim.trials.model"] or "ldnsim" in graph["ldnsim.trials.model"]
    for m in graph:
        layer_of(m)  # every module belongs to a layer


def test_finds_cycles_and_upward_imports_in_a_made_up_graph():
    g = {"ldnsim.pk": {"ldnsim.receptors"}, "ldnsim.receptors": {"ldnsim.pk"}, "ldnsim.data": set()}
    assert find_cycles(g) == [["ldnsim.pk", "ldnsim.receptors"]]
    assert upward_imports(g) == ["ldnsim.pk -> ldnsim.receptors"]


def test_no_import_cycle():
    cycles = [c for c in find_cycles(import_graph()) if tuple(c) not in KNOWN_CYCLES]
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_upward_import():
    bad = [e for e in upward_imports(import_graph()) if e not in KNOWN_UPWARD]
    assert not bad, "imports that climb the layer table (docs/architecture.md):\n" + "\n".join(bad)


def test_known_violations_still_exist():
    """Delete an entry of KNOWN_UPWARD / KNOWN_CYCLES once its import is gone (the table only shrinks)."""
    graph = import_graph()
    gone = sorted(set(KNOWN_UPWARD) - set(upward_imports(graph)))
    gone += [" <-> ".join(c) for c in sorted(set(KNOWN_CYCLES) - {tuple(c) for c in find_cycles(graph)})]
    assert not gone, "fixed, now remove from tests/test_import_graph.py: " + ", ".join(gone)


@pytest.mark.parametrize("low,high", [
    ("ldnsim.pk", "ldnsim.receptors"), ("ldnsim.receptors", "ldnsim.model"),
    ("ldnsim.model", "ldnsim.engines"), ("ldnsim.engines", "ldnsim.simulate"),
    ("ldnsim.simulate", "ldnsim.sbml")])
def test_layer_order(low, high):
    assert layer_of(low) < layer_of(high)
