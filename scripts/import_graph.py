#!/usr/bin/env python3
"""The module graph of the kshare package: who imports whom, circles, cross-app pairs, layers.

Run from the project root (standard library only, nothing is imported, the files are parsed):

    python scripts/import_graph.py            # summary: counts, circles, pairs, layer breaks
    python scripts/import_graph.py --apps     # also the app-to-app edges with their import counts
    python scripts/import_graph.py --dot      # the app graph in Graphviz dot
    python scripts/import_graph.py --json     # every number above as JSON (for before/after notes)
    python scripts/import_graph.py --check    # exit 1 when a circle or an upward import exists

Tests and migrations are left out: they may import anything. An import inside a function counts
as an edge like any other (hiding an import in a function does not remove the dependency); the
summary counts them separately because each one is usually a circle dodged.

The layer of each app is written in LAYERS below (and explained in docs/architecture.md, "Layers"):
an app may import apps of a lower layer and of its own layer, never a higher one.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "kshare"

# Lower number = lower layer. Apps in one layer may import each other only where no circle results.
LAYERS: dict[str, int] = {
    "core": 0,
    "tags": 1,
    "people": 2,
    "audit": 2,
    "outbox": 2,
    "programmes": 3,
    "rhythm": 3,  # migration history only: its models are in scheduling
    "sessions": 4,
    # the one rule for sessions: imports people, programmes and sessions models only
    "visibility": 4,
    "scheduling": 5,
    "attendance": 5,
    "calendars": 5,
    "reminders": 5,  # migration history only: its models are in scheduling
    "questions": 5,
    "ideas": 5,
    "topics": 5,
    "library": 5,
    "feedback": 5,
    "webhooks": 6,
    "chat": 6,
    "search": 6,
    "recommend": 6,
    "dashboard": 7,
    "backup": 7,
    "api": 8,
    "web": 8,
    "demo": 9,
    # kshare/config.py reads the environment and imports nothing of kshare: every layer may use it
    "<config>": 0,
    # the project's own modules (settings, urls, cli, wsgi) sit above every app
    "<project>": 10,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_of(module: str) -> str:
    if module == f"{PACKAGE}.config":
        return "<config>"
    parts = module.split(".")
    if len(parts) < 2:
        return "<project>"
    if (ROOT / PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "<project>"


def source_files() -> list[Path]:
    files = []
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        rel = path.relative_to(ROOT / PACKAGE).parts
        if "tests" in rel or "migrations" in rel or rel[-1] == "conftest.py":
            continue
        files.append(path)
    return files


class Imports(ast.NodeVisitor):
    """Collects (imported module, inside a function?) for one module."""

    def __init__(self, module: str, is_package: bool, known: set[str]) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.known = known
        self.depth = 0
        self.found: list[tuple[str, bool]] = []

    def _resolve(self, name: str) -> str | None:
        # the longest known module that is a prefix of the dotted name
        while name:
            if name in self.known:
                return name
            name = name.rpartition(".")[0]
        return None

    def _add(self, name: str) -> None:
        target = self._resolve(name)
        if target and target != self.module:
            self.found.append((target, self.depth > 0))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_If(self, node: ast.If) -> None:
        # `if TYPE_CHECKING:` imports are annotations only, not dependencies at run time
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == PACKAGE:
                self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base_parts = self.package.split(".")
            if node.level > 1:
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
            base = ".".join(base_parts)
            name = f"{base}.{node.module}" if node.module else base
        else:
            name = node.module or ""
        if name.split(".")[0] != PACKAGE:
            return
        for alias in node.names:
            full = f"{name}.{alias.name}"
            if full in self.known:
                self._add(full)
            else:
                self._add(name)


def build() -> tuple[dict[str, set[str]], int, dict[tuple[str, str], int]]:
    files = source_files()
    known = {module_name(p) for p in files}
    edges: dict[str, set[str]] = defaultdict(set)
    hidden = 0
    app_edges: dict[tuple[str, str], int] = defaultdict(int)
    for path in files:
        mod = module_name(path)
        visitor = Imports(mod, path.name == "__init__.py", known)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        edges.setdefault(mod, set())
        for target, in_function in visitor.found:
            edges[mod].add(target)
            if in_function:
                hidden += 1
            a, b = app_of(mod), app_of(target)
            if a != b:
                app_edges[(a, b)] += 1
    return edges, hidden, app_edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; returns the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    item = stack.pop()
                    on_stack.discard(item)
                    component.append(item)
                    if item == node:
                        break
                if len(component) > 1:
                    result.append(sorted(component))
    return sorted(result)


def report() -> dict:
    edges, hidden, app_edges = build()
    circles = strongly_connected(edges)
    pairs = sorted({tuple(sorted((a, b))) for (a, b) in app_edges if (b, a) in app_edges})
    upward = sorted(
        (a, b, n)
        for (a, b), n in app_edges.items()
        if LAYERS.get(a, 99) < LAYERS.get(b, 99) and a != "<project>"
    )
    unknown = sorted({a for pair in app_edges for a in pair if a not in LAYERS})
    return {
        "modules": len(edges),
        "imports": sum(len(t) for t in edges.values()),
        "imports_inside_functions": hidden,
        "apps": len({app_of(m) for m in edges} - {"<project>", "<config>"}),
        "app_edges": len(app_edges),
        "circles": circles,
        "mutual_app_pairs": [list(p) for p in pairs],
        "upward_imports": [[a, b, n] for a, b, n in upward],
        "apps_without_layer": unknown,
        "app_edge_counts": {f"{a} -> {b}": n for (a, b), n in sorted(app_edges.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", action="store_true", help="list app-to-app edges")
    parser.add_argument("--dot", action="store_true", help="print the app graph as Graphviz dot")
    parser.add_argument("--json", action="store_true", help="print every number as JSON")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 on a circle or an upward import"
    )
    args = parser.parse_args()
    data = report()
    if args.json:
        print(json.dumps(data, indent=2))
    elif args.dot:
        print("digraph kshare {\n  rankdir=BT;")
        for key, n in data["app_edge_counts"].items():
            a, b = key.split(" -> ")
            print(f'  "{a}" -> "{b}" [label={n}];')
        print("}")
    else:
        print(
            f"{data['modules']} modules, {data['imports']} imports between them "
            f"({data['imports_inside_functions']} inside functions), {data['apps']} apps, "
            f"{data['app_edges']} app-to-app edges"
        )
        print(f"import circles: {len(data['circles'])}")
        for circle in data["circles"]:
            print("  " + " <-> ".join(circle))
        print(f"app pairs importing each other: {len(data['mutual_app_pairs'])}")
        for a, b in data["mutual_app_pairs"]:
            print(f"  {a} <-> {b}")
        print(
            f"upward imports (a lower layer importing a higher one): {len(data['upward_imports'])}"
        )
        for a, b, n in data["upward_imports"]:
            print(f"  {a} ({LAYERS.get(a)}) -> {b} ({LAYERS.get(b)}): {n}")
        if data["apps_without_layer"]:
            print("apps without a layer in LAYERS: " + ", ".join(data["apps_without_layer"]))
        if args.apps:
            print("app-to-app edges:")
            for key, n in data["app_edge_counts"].items():
                print(f"  {key}: {n}")
    if args.check and (data["circles"] or data["upward_imports"] or data["apps_without_layer"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
