#!/usr/bin/env bash
# Stops the nats-server scripts/start-nats.sh started for DIR, by the PID in DIR/nats.pid.
set -euo pipefail
dir="${1:?usage: stop-nats.sh DIR}"
# shellcheck source=lib/stop-pid.sh
source "$(dirname "$0")/lib/stop-pid.sh"
stop_pid "$dir/nats.pid"
