"""The package's layers, as the tree shows them: each imports only from the layers below it.

    model → input → db → engine → history → render → api → commands

(``tracker/api.py`` is the Python API, a layer of one module; ``tracker/cli.py`` and
``__main__.py``, the console script's entry, belong to ``commands``; ``tracker/__init__.py``
holds the version and loads the API on first use, and may be imported by any layer.) Imports are
read from the source, function-level ones included; those under ``if TYPE_CHECKING:`` are left
out, as they are never executed: they only name a type for annotations (``input`` is handed a
store and annotates it as one).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

LAYERS = ("model", "input", "db", "engine", "history", "render", "api", "commands")
PACKAGE = REPO / "tracker"
ENTRY = {"cli", "__main__"}  # the console script's entry: the commands layer


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int | None:
    """The rank of a ``tracker…`` module's layer (None: the package itself)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    top = "commands" if parts[1] in ENTRY else parts[1]
    return LAYERS.index(top)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path) -> set[str]:
    """The tracker modules a file imports when run."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "tracker")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tracker":
            for a in node.names:  # ``from tracker.model import canonical`` imports a module
                sub = f"{node.module}.{a.name}"
                found.add(sub if _file_of(sub) is not None else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _file_of(module: str) -> Path | None:
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_sits_in_a_layer():
    loose = [m for m in _graph() if m.count(".") == 1 and m.split(".")[1] not in (*LAYERS, *ENTRY)]
    assert loose == []


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for module, imported in _graph().items():
        mine = _layer(module)
        for other in sorted(imported):
            theirs = _layer(other)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{module} ({LAYERS[mine]}) imports {other} ({LAYERS[theirs]})")
    assert upward == []


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    state: dict[str, str] = {}
    cycles: list[str] = []

    def walk(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph.get(module, ())):
            if state.get(other) == "open":
                cycles.append(" → ".join(trail[trail.index(other):] + [other]) if other in trail else f"{module} → {other}")
            elif other not in state:
                walk(other, [*trail, other])
        state[module] = "done"

    for module in graph:
        if module not in state:
            walk(module, [module])
    assert cycles == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The reader finds a function-level import and skips a TYPE_CHECKING one."""
    path = tmp_path / "sample.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from tracker.db.store import Store\n"
        "def f():\n    from tracker.history.view import View\n    from tracker.model import canonical\n",
        encoding="utf-8",
    )
    assert _imports(path) == {"tracker.history.view", "tracker.model.canonical"}
    assert _layer("tracker.history.view") > _layer("tracker.input.recording")


def test_a_module_over_400_lines_says_at_its_top_why_it_is_one_module():
    """The rule the code is kept by: small modules, or a reason for a large one in its docstring."""
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 420 and "on purpose" not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{path.relative_to(REPO)} ({text.count(chr(10))} lines)")
    assert unexplained == []
