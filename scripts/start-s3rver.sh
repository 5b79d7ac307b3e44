#!/usr/bin/env bash
# Starts a throwaway S3 API server for the tests: s3rver (npm, installed once into ~/.cache/flowstate-tools) on
# 127.0.0.1 and a free port, storing objects under DIR/data (created), with the bucket "flowstate" made at start.
# Credentials: access key S3RVER, secret S3RVER. Prints the port. Stop it with scripts/stop-s3rver.sh DIR (by the
# PID in DIR/s3rver.pid).
set -euo pipefail
dir="${1:?usage: start-s3rver.sh DIR}"
# shellcheck source=lib/install.sh
source "$(dirname "$0")/lib/install.sh"
require_npm_tool s3rver@3.7.1 s3rver
tools="$flowstate_tools"

# shellcheck source=lib/ports.sh
source "$(dirname "$0")/lib/ports.sh"

mkdir -p "$dir/data"
for attempt in 1 2 3; do
  port=$(free_port)
  node "$tools/node_modules/.bin/s3rver" -d "$dir/data" -a 127.0.0.1 -p "$port" --silent \
    --configure-bucket flowstate >"$dir/s3rver.log" 2>&1 &
  echo $! >"$dir/s3rver.pid"
  if wait_for_port "$port" "$dir/s3rver.pid"; then echo "$port"; exit 0; fi
  echo "s3rver did not start on port $port (attempt $attempt)" >&2
done
cat "$dir/s3rver.log" >&2
exit 1
