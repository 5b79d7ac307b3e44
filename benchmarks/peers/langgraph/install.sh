#!/usr/bin/env bash
# Installs the pinned LangGraph.js packages into a folder (default ~/.cache/flowstate-tools/langgraph) and builds
# better-sqlite3 from source (npm does not run its install script), then prints the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:-$HOME/.cache/flowstate-tools/langgraph}"
mkdir -p "$target"
if [ ! -f "$target/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ] || ! cmp -s "$here/package.json" "$target/package.json"; then
  cp "$here/package.json" "$target/package.json"
  (cd "$target" && npm install --no-audit --no-fund --loglevel=error >&2 && npm rebuild better-sqlite3 --loglevel=error >&2)
fi
cp "$here/bench.mjs" "$target/bench.mjs"
echo "$target"
