"""The shape of the package: few modules at the top, none too long, no import cycle.

A newcomer finds their way by the tree, so the tree is held to what docs/architecture.md
says of it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "target_upwell"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 350
MAX_TOP_MODULES = 14


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every target_upwell module the file imports, TYPE_CHECKING imports included."""
    found: set[str] = set()
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    known = {module_name(m) for m in MODULES}
    return {name for name in found if name in known and name != module_name(path)}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle a depth-first walk meets, as the modules around it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_no_module_imports_itself_back_type_checking_imports_included():
    graph = {module_name(m): imports_of(m) for m in MODULES}

    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_and_only_that():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_over_the_ceiling():
    lengths = {str(m.relative_to(PACKAGE)): len(m.read_text().splitlines()) for m in MODULES}
    long = {name: n for name, n in lengths.items() if n > MAX_LINES}

    assert long == {}


def test_the_package_top_holds_few_modules_and_the_stages_are_subpackages():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    stages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))

    assert len(top) <= MAX_TOP_MODULES, top
    assert {"mapping", "delivery", "commands", "sandbox"} <= set(stages)


def test_target_py_only_declares():
    tree = ast.parse((PACKAGE / "target.py").read_text())
    (plugin,) = [node for node in tree.body if isinstance(node, ast.ClassDef)]

    methods = [node.name for node in ast.walk(plugin) if isinstance(node, ast.FunctionDef)]
    assert methods == []


def test_docs_architecture_names_every_module_and_only_modules_that_exist():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    tree = text.split("```text", 1)[1].split("```", 1)[0]
    named = set(re.findall(r"[\w]+\.py", tree))
    modules = {m.name for m in MODULES if "sandbox" not in m.parts and m.name != "__init__.py"}

    assert modules - named == set(), "modules docs/architecture.md doesn't name"
    assert named - modules == set(), "names in docs/architecture.md that aren't modules"
