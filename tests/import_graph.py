"""nnlite's import graph, read from the source (module-level and function-level imports alike).

    python -m tests.import_graph      # prints each module's nnlite imports, then any cycle
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nnlite"


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, pathlib.Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def graph() -> dict[str, set[str]]:
    """module -> the nnlite modules it imports anywhere in its source."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in known else target)
            elif isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
        edges[name] = {d for d in deps if d in known and d != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk meets (empty when the graph is acyclic)."""
    found, done, path = [], set(), []

    def walk(node: str) -> None:
        path.append(node)
        for nxt in sorted(edges[node]):
            if nxt in path:
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in done:
                walk(nxt)
        path.pop()
        done.add(node)

    for node in sorted(edges):
        if node not in done:
            walk(node)
    return found


if __name__ == "__main__":
    edges = graph()
    for name in sorted(edges):
        print(f"{name:34s} -> {', '.join(sorted(d.removeprefix('nnlite.') for d in edges[name])) or '-'}")
    print("cycles:", cycles(edges) or "none")
