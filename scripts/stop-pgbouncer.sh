#!/usr/bin/env bash
# Stops the PgBouncer scripts/start-pgbouncer.sh started for DIR: SIGINT (stop at once) to the PID in its pidfile,
# SIGKILL after 10 s, then removes its folder.
set -euo pipefail
dir="${1:?usage: stop-pgbouncer.sh DIR}"
[ -f "$dir/home" ] || exit 0
home=$(cat "$dir/home")
if [ -f "$home/pgbouncer.pid" ]; then
  pid=$(cat "$home/pgbouncer.pid")
  if kill -INT "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
fi
case "$home" in /tmp/flowstate-pgbouncer.*) rm -rf "$home" ;; esac
rm -f "$dir/home" "$dir/port"
