#!/usr/bin/env python3
"""Handler size check: no request handler longer than 40 lines.

A handler is any `async fn` in the HTTP edge's entry points: the portal (src/http/portal/),
forward-auth (src/http/forward_auth/) and the dispatch in src/http/entry.rs. Its length runs
from the `async fn` line to its closing brace. A longer handler is doing more than
parse → call a service → map the outcome; move the page building or outcome mapping into a
named function.
"""
import re
import sys
from pathlib import Path

LIMIT = 40
ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    list((ROOT / "src/http/portal").rglob("*.rs"))
    + list((ROOT / "src/http/forward_auth").rglob("*.rs"))
    + [ROOT / "src/http/entry.rs"]
)
START = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?async fn (\w+)")


def lengths(path: Path):
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = START.match(lines[i])
        if not m:
            i += 1
            continue
        depth, j, opened = 0, i, False
        while j < len(lines):
            code = lines[j].split("//")[0]
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if opened and depth == 0:
                break
            j += 1
        yield m.group(3), i + 1, j - i + 1
        i = j + 1


def main() -> int:
    bad = [
        f"{p.relative_to(ROOT)}:{line} {name} ({n} lines)"
        for p in FILES
        for name, line, n in lengths(p)
        if n > LIMIT
    ]
    if bad:
        print(f"check-handlers: handlers over {LIMIT} lines; split them:", file=sys.stderr)
        print("\n".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
