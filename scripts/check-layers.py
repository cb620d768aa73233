#!/usr/bin/env python3
"""Layer check: no module imports a module above it, and the module graph has no cycle.

Reads every src/**/*.rs, collects `use crate::X...`, `crate::X::` paths and `super::` imports,
resolves each to a top-level module (for `http/`, to its submodule), and fails, naming the
offending import, when a module imports one above it in the order below (docs/architecture.md).
"""
import re
import sys
from pathlib import Path

# Top to bottom; a module may import only modules in a later group. Modules in one group may
# import each other as long as the graph stays acyclic (checked below).
ORDER = [
    ["cli"],
    ["compose"],
    ["server"],
    ["conn_limits"],
    ["http::entry"],
    ["http::portal", "http::forward_auth"],
    ["http::authz"],
    ["http::state"],
    # The proxy sits below the state, which holds its site table.
    ["http::proxy"],
    ["http::lang", "http::precheck_scan"],
    ["http::request", "http::host_memo", "http::cookies", "http::csrf", "http::headers", "http::pages", "http::branding"],
    ["http::page_cache"],
    # Only the edge (http, compose, cli) reads the clock: services, stores and the domain sit
    # below it and take `now` as an argument.
    ["clock"],
    ["presentation"],
    ["telemetry"],
    ["service"],
    ["mail"],
    ["store"],
    ["config"],
    ["domain"],
    ["audit", "templates", "i18n", "metrics", "log_throttle"],
]
RANK = {m: i for i, group in enumerate(ORDER) for m in group}

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PATH_RE = re.compile(r"\b(crate|super)((?:::(?:super|[A-Za-z_][A-Za-z0-9_]*|\{))+)")


def module_path(file: Path) -> list[str]:
    parts = list(file.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    if parts and parts[-1].endswith("_tests"):  # `#[path = "x_tests.rs"] mod tests;` in x.rs
        parts[-1] = parts[-1][: -len("_tests")]
        parts.append("tests")
    return parts


def exists(*parts: str) -> bool:
    p = SRC.joinpath(*parts)
    return p.with_suffix(".rs").is_file() or p.is_dir()


def key(path: list[str]) -> str | None:
    """The layer a module path belongs to; None for the crate root, `http` itself, or a name
    that is no module (an item reached through `super::` from an inline test module)."""
    if not path or not exists(path[0]):
        return None
    if path[0] == "http":
        return "http::" + path[1] if len(path) > 1 and exists("http", path[1]) else None
    return path[0]


def targets(root: str, rest: str, here: list[str], text: str, end: int) -> list[list[str]]:
    segs = [s for s in rest.split("::") if s]
    base = [] if root == "crate" else here[:-1]
    while segs and segs[0] == "super":
        base = base[:-1]
        segs.pop(0)
    if segs and segs[0] == "{":  # `use crate::{a::X, b};`: the first name of each item
        close = text.find("}", end)
        inner = text[end:close] if close != -1 else ""
        names = [n.strip().split("::")[0] for n in inner.split(",")]
        return [base + [n] for n in names if re.fullmatch(r"[a-z_][a-z0-9_]*", n or "")]
    return [base + segs]


def main() -> int:
    edges: dict[tuple[str, str], str] = {}
    errors = []
    for file in sorted(SRC.rglob("*.rs")):
        here = module_path(file)
        src_key = key(here)
        if src_key is None:
            continue
        text = file.read_text()
        for m in PATH_RE.finditer(text):
            for target in targets(m.group(1), m.group(2), here, text, m.end()):
                dst_key = key(target)
                if dst_key is None or dst_key == src_key:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                where = f"{file.relative_to(ROOT)}:{line}: {src_key} imports {dst_key} ({m.group(0)})"
                edges.setdefault((src_key, dst_key), where)
                for k in (src_key, dst_key):
                    if k not in RANK:
                        errors.append(f"module {k} is not in the layer order (scripts/check-layers.py)")
                if src_key in RANK and dst_key in RANK and RANK[dst_key] < RANK[src_key]:
                    errors.append(f"{where}: {dst_key} is above {src_key}")
    # Peers in one group may import each other, but never in a circle.
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in sorted(graph.get(n, [])):
            if state.get(m) == 1:
                cycle = stack[stack.index(m):] + [n, m] if m in stack else [n, m]
                errors.append("cycle: " + " -> ".join(cycle) + f" (closed by {edges[(n, m)]})")
            elif m not in state:
                visit(m, stack + [n])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [])
    for e in dict.fromkeys(errors):
        print(f"check-layers: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
