#!/usr/bin/env bash
# Stops the redis-server scripts/start-redis.sh started for DIR, by the PID in DIR/redis.pid.
set -euo pipefail
dir="${1:?usage: stop-redis.sh DIR}"
# shellcheck source=lib/stop-pid.sh
source "$(dirname "$0")/lib/stop-pid.sh"
stop_pid "$dir/redis.pid"
