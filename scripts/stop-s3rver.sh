#!/usr/bin/env bash
# Stops the s3rver scripts/start-s3rver.sh started for DIR, by the PID in DIR/s3rver.pid.
set -euo pipefail
dir="${1:?usage: stop-s3rver.sh DIR}"
[ -f "$dir/s3rver.pid" ] || exit 0
pid=$(cat "$dir/s3rver.pid")
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || exit 0
  sleep 0.1
done
kill -KILL "$pid" 2>/dev/null || true
