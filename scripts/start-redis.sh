#!/usr/bin/env bash
# Starts a throwaway redis-server for the tests on 127.0.0.1 and a free port, data in DIR (created). Prints the port.
# Without persistence by default; with "aof" as second argument it runs with appendonly yes and appendfsync always
# (an fsync before every reply). When DIR holds a previous start's redis.port, it starts again on that port with the
# same settings and reloads DIR's data (a restart after a crash). Installs Debian's redis-server first when it is
# missing (needs root). Stop it with scripts/stop-redis.sh DIR (by the PID in DIR/redis.pid).
set -euo pipefail
dir="${1:?usage: start-redis.sh DIR [aof]}"
# shellcheck source=lib/install.sh
source "$(dirname "$0")/lib/install.sh"
require_debian_packages redis-server:redis-server
# shellcheck source=lib/ports.sh
source "$(dirname "$0")/lib/ports.sh"

mkdir -p "$dir"
if [ -n "${2:-}" ]; then echo "$2" >"$dir/redis.mode"; fi
persistence=(--save "" --appendonly no)
if [ "$(cat "$dir/redis.mode" 2>/dev/null || true)" = aof ]; then
  persistence=(--save "" --appendonly yes --appendfsync always)
fi
for attempt in 1 2 3; do
  if [ -f "$dir/redis.port" ]; then port=$(cat "$dir/redis.port"); else port=$(free_port); fi
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" "${persistence[@]}" --daemonize no \
    --logfile "$dir/redis.log" >/dev/null 2>&1 &
  echo $! >"$dir/redis.pid"
  if wait_for_port "$port" "$dir/redis.pid"; then echo "$port" >"$dir/redis.port"; echo "$port"; exit 0; fi
  echo "redis-server did not start on port $port (attempt $attempt)" >&2
  sleep 1
done
cat "$dir/redis.log" >&2 || true
exit 1
