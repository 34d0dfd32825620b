"""The floors of docs/ARCHITECTURE.md, enforced: every import of every product module (at the
top, inside functions, under TYPE_CHECKING) points to a lower floor or stays in its package.

Also: no import cycle between two modules, inside a package or across, and the floors here,
the shipped package list and the drawing in docs/ARCHITECTURE.md name the same packages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from scripts.package import PLUGIN_PACKAGES

REPO = Path(__file__).resolve().parents[2]

# Top floor first. Packages on one floor are peers: neither may import the other.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("plugin",),
    ("tasks",),
    ("doctor",),
    ("worker",),
    ("reconciliation",),
    ("runtime",),
    ("plex",),
    ("stash", "sync_queue", "validation"),
    ("base",),
)
FLOOR_OF = {package: level for level, floor in enumerate(FLOORS) for package in floor}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement anywhere in the file."""
    module = module or _module_name(path)
    package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from pkg import module` imports pkg.module: resolve it for the cycle check
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def _product_files() -> list[Path]:
    files = [REPO / "Stash2Plex.py"]
    for package in FLOOR_OF:
        files += sorted((REPO / package).rglob("*.py"))
    return files


def _known_modules() -> set[str]:
    return {_module_name(path) for path in _product_files()}


def test_floors_name_every_shipped_package() -> None:
    assert set(FLOOR_OF) == set(PLUGIN_PACKAGES)


def _climbing(source: str, imports: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The imports of a module of package `source` that point to its floor or above."""
    return [
        (line, target)
        for line, target in imports
        if target.split(".")[0] in FLOOR_OF
        and target.split(".")[0] != source
        and FLOOR_OF[target.split(".")[0]] <= FLOOR_OF[source]
    ]


def test_every_import_points_down() -> None:
    climbing: list[str] = []
    for path in _product_files():
        source = _module_name(path).split(".")[0]
        if source == "Stash2Plex":  # the entry script sits above every floor
            continue
        for line, target in _climbing(source, _imports(path)):
            climbing.append(f"{path.relative_to(REPO)}:{line} imports {target}")
    assert climbing == []


def test_no_import_cycles_between_modules() -> None:
    known = _known_modules()
    graph: dict[str, set[str]] = {}
    for path in _product_files():
        source = _module_name(path)
        targets = {t for _, t in _imports(path) if t in known and t != source}
        # importing a.b.c runs a/__init__ and a/b/__init__ too, which is not a cycle we wrote
        graph[source] = {t for t in targets if not source.startswith(t + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the path, 2 = finished
    path_stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path_stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path_stack[path_stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path_stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_the_checker_sees_imports_anywhere_and_judges_floors(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json\n"
        "TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n"
        "    from runtime.context import Context\n"
        "def f():\n"
        "    from worker.loop import run_worker\n"
        "    from . import sibling\n",
        encoding="utf-8",
    )
    imports = _imports(probe, "plex.probe")
    assert {(4, "runtime.context"), (6, "worker.loop"), (7, "plex.sibling")} <= set(imports)
    assert _climbing("plex", imports) == [
        (4, "runtime.context"),
        (4, "runtime.context.Context"),
        (6, "worker.loop"),
        (6, "worker.loop.run_worker"),
    ]
    assert _climbing("stash", [(1, "validation.config")]) == [(1, "validation.config")]
    assert _climbing("runtime", [(1, "stash.log"), (2, "json")]) == []


def test_architecture_doc_draws_the_floors() -> None:
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = doc.split("## Layers", 1)[1].split("```", 2)[1]
    drawn: list[str] = []
    for line in block.splitlines():
        branch = re.match(r"\s*[├└]─ (.*)", line)
        if branch:  # "├─ stash/ sync_queue/ validation/   what they hold"
            drawn += re.findall(r"([a-z_]+)/", re.split(r"\s{3,}", branch.group(1))[0])
    assert drawn == [package for floor in FLOORS for package in floor]
