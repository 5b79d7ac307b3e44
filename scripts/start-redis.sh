#!/usr/bin/env bash
# Starts a throwaway redis-server for the tests on 127.0.0.1 and a free port, data in DIR (created), no persistence.
# Installs Debian's redis-server first when it is missing (needs root). Prints the port. Stop it with
# scripts/stop-redis.sh DIR (by the PID in DIR/redis.pid).
set -euo pipefail
dir="${1:?usage: start-redis.sh DIR}"
if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server (Debian package)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2; }
fi
# shellcheck source=lib/ports.sh
source "$(dirname "$0")/lib/ports.sh"

mkdir -p "$dir"
for attempt in 1 2 3; do
  port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no --daemonize no \
    --logfile "$dir/redis.log" >/dev/null 2>&1 &
  echo $! >"$dir/redis.pid"
  if wait_for_port "$port" "$dir/redis.pid"; then echo "$port"; exit 0; fi
  echo "redis-server did not start on port $port (attempt $attempt)" >&2
done
cat "$dir/redis.log" >&2 || true
exit 1
