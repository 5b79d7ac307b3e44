#!/usr/bin/env bash
# Starts a throwaway nats-server with JetStream for the tests on 127.0.0.1 and a free port, its JetStream store in DIR
# (created). Prints the port. When DIR holds a previous start's nats.port, it starts again on that port and reloads
# DIR's streams (a restart after a crash). Installs Debian's nats-server first when it is missing (needs root). Stop it
# with scripts/stop-nats.sh DIR (by the PID in DIR/nats.pid). With --no-jetstream it starts a server without JetStream
# (the tests of what FlowState says when JetStream is missing).
set -euo pipefail
dir="${1:?usage: start-nats.sh DIR [--no-jetstream]}"
jetstream=(--jetstream --store_dir "$dir/jetstream")
if [ "${2:-}" = "--no-jetstream" ]; then jetstream=(); fi
# shellcheck source=lib/install.sh
source "$(dirname "$0")/lib/install.sh"
require_debian_packages nats-server:nats-server
# shellcheck source=lib/ports.sh
source "$(dirname "$0")/lib/ports.sh"

mkdir -p "$dir/jetstream"
for attempt in 1 2 3; do
  if [ -f "$dir/nats.port" ]; then port=$(cat "$dir/nats.port"); else port=$(free_port); fi
  nats-server --addr 127.0.0.1 --port "$port" "${jetstream[@]}" \
    --log "$dir/nats.log" >/dev/null 2>&1 &
  echo $! >"$dir/nats.pid"
  if wait_for_port "$port" "$dir/nats.pid"; then echo "$port" >"$dir/nats.port"; echo "$port"; exit 0; fi
  echo "nats-server did not start on port $port (attempt $attempt)" >&2
  sleep 1
done
cat "$dir/nats.log" >&2 || true
exit 1
