"""Figures of the code's layout, as the README's "Layout" section quotes them.

    python scripts/house_figures.py [--limit 500]

Prints, for the packages app/, matching/, payments/, search/ (tests, migrations and scripts left out):
the files over the limit in lines, the imports placed inside functions (and how many carry a
`# deferred:` reason), and the import cycles between the app's domains (app/<domain>/…), counted twice:
with module-level imports only, and with every import (inside functions too).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "matching", "payments", "search")


def python_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function?, line) for every import of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool, int]] = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, in_function, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                found.append((target, in_function, child.lineno))
            visit(child, inside)

    visit(tree, False)
    return found


def domain(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "app" or len(parts) < 2 or not (ROOT / "app" / parts[1]).is_dir():
        return None  # the app's own top modules (create_app, cli, the models registry) stand above the domains
    return parts[1]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()
    files = python_files()
    lines = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in files}
    big = sorted(((n, p) for p, n in lines.items() if n > args.limit), reverse=True)
    print(f"python files: {len(files)}, lines: {sum(lines.values())}, largest: {max(lines.values())}")
    print(f"files over {args.limit} lines: {len(big)}")
    for n, p in big:
        print(f"  {n:5d}  {p.relative_to(ROOT)}")

    in_functions = deferred = 0
    top_edges: dict[str, set[str]] = {}
    all_edges: dict[str, set[str]] = {}
    for path in files:
        source = path.read_text(encoding="utf-8").splitlines()
        here = domain(module_name(path))
        for target, in_function, line in imports(path):
            if in_function:
                in_functions += 1
                text = "".join(source[max(0, line - 4) : line])  # the import line and the comment lines above it
                deferred += "# deferred" in text
            there = domain(target)
            if here and there and here != there:
                all_edges.setdefault(here, set()).add(there)
                if not in_function:
                    top_edges.setdefault(here, set()).add(there)
    print(f"imports inside functions: {in_functions} ({deferred} with a '# deferred:' reason)")
    for label, edges in (("module-level imports", top_edges), ("every import", all_edges)):
        found = cycles(edges)
        print(f"cycles between app domains ({label}): {len(found)}")
        for component in found:
            print("  " + " ⇄ ".join(component))


if __name__ == "__main__":
    main()
