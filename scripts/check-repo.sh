#!/usr/bin/env bash
# Repository checks that need no build: the repository explains itself (no file points at
# notes outside it), no source file grows past the size where it should be split, and the
# modules keep their layer order with no import cycle (scripts/check-layers.py), and no request
# handler grows past 40 lines (scripts/check-handlers.py).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
outside=$(grep -rnE '\.\./shared|SECURITY\.md|SECURITY [0-9§]|DESIGN\.md|STYLE\.md' \
  src tests docs README.md config examples bench --exclude-dir=target 2>/dev/null || true)
if [ -n "$outside" ]; then
  echo "check-repo: these lines point outside the repository; cite docs/ instead:" >&2
  echo "$outside" >&2
  status=1
fi
big=$(find src tests -name '*.rs' -exec wc -l {} + | awk '$2 != "total" && $1 > 600 && $2 !~ /^tests\// {print $2" ("$1" lines)"}')
if [ -n "$big" ]; then
  echo "check-repo: source files over 600 lines; split them by what they own:" >&2
  echo "$big" >&2
  status=1
fi
anchors=$(grep -rhoE 'docs/security\.md#[a-z0-9-]+' src tests README.md config examples | sed 's/.*#//' | sort -u)
for a in $anchors; do
  grep -q "id=\"$a\"" docs/security.md || { echo "check-repo: docs/security.md has no anchor #$a" >&2; status=1; }
done
# No module imports a module above it (the layer order is written in the script).
python3 scripts/check-layers.py || status=1
# No request handler over 40 lines.
python3 scripts/check-handlers.py || status=1
exit $status
