#!/usr/bin/env bash
# Stops the server scripts/start-postgres.sh started for DIR: SIGINT (fast shutdown) to the PID in its cluster's
# postmaster.pid, waits for it (SIGKILL after 30 s), then removes the cluster. With "crash" as second argument it
# sends SIGQUIT instead (immediate shutdown: no checkpoint, the next start recovers from the WAL as after a crash) and
# keeps the cluster for scripts/start-postgres.sh DIR to start again.
set -euo pipefail
dir="${1:?usage: stop-postgres.sh DIR [crash]}"
mode="${2:-}"
[ -f "$dir/cluster" ] || exit 0
cluster=$(cat "$dir/cluster")
pidfile="$cluster/data/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -n 1 "$pidfile")
  signal=INT
  if [ "$mode" = crash ]; then signal=QUIT; fi
  if kill -"$signal" "$pid" 2>/dev/null; then
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
fi
if [ "$mode" = crash ]; then exit 0; fi
case "$cluster" in /tmp/flowstate-pg.*) rm -rf "$cluster" ;; esac
rm -f "$dir/cluster" "$dir/port"
