#!/usr/bin/env bash
# Stops the nodes scripts/start-redis-cluster.sh started for DIR, by the PIDs in DIR/node-N/redis.pid.
set -euo pipefail
dir="${1:?usage: stop-redis-cluster.sh DIR}"
# shellcheck source=lib/stop-pid.sh
source "$(dirname "$0")/lib/stop-pid.sh"
for pidfile in "$dir"/node-*/redis.pid; do
  [ -f "$pidfile" ] && stop_pid "$pidfile"
done
exit 0
