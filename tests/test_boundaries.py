"""Import boundaries: the sandbox loads only itself and the standard library; the root nothing.

If the sandbox shared code with the target, the two would agree by construction and the tests
that run one against the other would prove nothing.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "target_upwell"
SANDBOX_MODULES = sorted((PACKAGE / "sandbox").rglob("*.py"))


def imported_modules(path):
    """Every module a file imports, as absolute names; relative ones start with dots."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")


def escapes_the_sandbox(module, path):
    if module.startswith("."):
        # A relative import may climb only as far as the sandbox package itself.
        depth = len(path.relative_to(PACKAGE / "sandbox").parts)
        return len(module) - len(module.lstrip(".")) > depth
    return module == "target_upwell" or (
        module.startswith("target_upwell.") and not module.startswith("target_upwell.sandbox")
    )


def test_the_sandbox_has_modules_to_check():
    assert PACKAGE / "sandbox" / "server.py" in SANDBOX_MODULES


@pytest.mark.parametrize("path", SANDBOX_MODULES, ids=lambda p: p.name)
def test_a_sandbox_module_imports_nothing_of_the_target(path):
    offending = [m for m in imported_modules(path) if escapes_the_sandbox(m, path)]

    assert offending == [], f"{path.name} imports {offending}: the sandbox must not use the target"


@pytest.mark.parametrize("path", SANDBOX_MODULES, ids=lambda p: p.name)
def test_a_sandbox_module_imports_only_the_standard_library(path):
    # A third-party library shared with the target (orjson, say) would be shared code too.
    outside = [
        m
        for m in imported_modules(path)
        if not m.startswith((".", "target_upwell.sandbox"))
        and m.split(".")[0] not in sys.stdlib_module_names
    ]

    assert outside == [], f"{path.name} imports {outside}: the sandbox uses the standard library"


def test_the_package_root_imports_nothing():
    # Loading target_upwell.sandbox runs target_upwell/__init__.py first; it must stay empty.
    tree = ast.parse((PACKAGE / "__init__.py").read_text())

    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert imports == []


@pytest.mark.parametrize(
    ("module", "escapes"),
    [
        (".store", False),
        ("..", True),
        ("..sinks", True),
        ("target_upwell", True),
        ("target_upwell.delivery.client", True),
        ("target_upwell.sandbox.store", False),
        ("target_upwell_extras", False),
        ("sqlite3", False),
    ],
)
def test_the_check_itself_tells_in_from_out(module, escapes):
    assert escapes_the_sandbox(module, PACKAGE / "sandbox" / "store.py") is escapes
