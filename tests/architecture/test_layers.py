"""architecture.md's rules, checked on the source: no import cycle, no import that climbs a layer, small files.

Every `import genlab...` / `from genlab... import` in src/genlab counts, including the lazy ones inside
functions: a lazy import still ties the two modules together.
"""

import ast
import re
from pathlib import Path

SRC = Path(__file__).parents[2] / "src"
DOC = Path(__file__).parents[2] / "architecture.md"
MAX_LINES = 300


def _layers() -> list[set[str]]:
    """The layers as architecture.md lists them, lowest first: lines '| N | comp, comp | ...'."""
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*([^|]+)\|", DOC.read_text(), flags=re.MULTILINE)
    layers = sorted((int(n), {c.strip().strip("`") for c in comps.split(",")}) for n, comps in rows)
    assert [n for n, _ in layers] == list(range(len(layers))), "layers must be numbered 0, 1, 2, ..."
    return [comps for _, comps in layers]


def _modules() -> dict[str, Path]:
    out = {}
    for p in (SRC / "genlab").rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The genlab modules `module` imports (a name imported from a package counts as the submodule if it is one)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "genlab"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "genlab":
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in known else node.module)
    return out - {module}


def _component(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imports(p, m, set(mods)) for m, p in mods.items()}


def test_every_component_has_a_layer():
    placed = set().union(*_layers())
    missing = {_component(m) for m in _modules()} - placed
    assert not missing, f"components not placed in architecture.md's layers: {sorted(missing)}"


def test_imports_only_go_down():
    layer_of = {c: i for i, comps in enumerate(_layers()) for c in comps}
    bad = []
    for module, deps in _graph().items():
        here = _component(module)
        for dep in deps:
            there = _component(dep)
            if there != here and layer_of[there] >= layer_of[here]:
                bad.append(f"{module} -> {dep} ({here} is layer {layer_of[here]}, {there} is {layer_of[there]})")
    assert not bad, "imports that architecture.md forbids:\n" + "\n".join(sorted(bad))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan 1972): each is an import cycle."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycle():
    cycles = _cycles(_graph())
    assert not cycles, f"import cycles: {cycles}"


def test_the_checker_sees_a_forbidden_import_and_a_cycle(tmp_path):
    """The rules above are not vacuous: a models -> cli import breaks the layer order, and two modules
    importing each other form a cycle that Tarjan's algorithm finds."""
    layer_of = {c: i for i, comps in enumerate(_layers()) for c in comps}
    assert layer_of["cli"] > layer_of["models"] > layer_of["samplers"] > layer_of["errors"]
    a = tmp_path / "a.py"
    a.write_text("from genlab.cli import main\n\ndef f():\n    from genlab.models.vae import VAE\n")
    assert _imports(a, "genlab.models.x", {"genlab.cli", "genlab.models.vae"}) == {"genlab.cli",
                                                                                   "genlab.models.vae"}
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]] and _cycles({"a": {"b"}, "b": set()}) == []


def test_no_source_file_over_the_limit():
    long = {str(p.relative_to(SRC)): n for p in (SRC / "genlab").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines: {long}"
