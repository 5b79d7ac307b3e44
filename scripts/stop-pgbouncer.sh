#!/usr/bin/env bash
# Stops the PgBouncer scripts/start-pgbouncer.sh started for DIR, by the PID in its pidfile (SIGTERM: PgBouncer's
# immediate shutdown), then removes its folder.
set -euo pipefail
dir="${1:?usage: stop-pgbouncer.sh DIR}"
[ -f "$dir/home" ] || exit 0
home=$(cat "$dir/home")
# shellcheck source=lib/stop-pid.sh
source "$(dirname "$0")/lib/stop-pid.sh"
stop_pid "$home/pgbouncer.pid"
case "$home" in /tmp/flowstate-pgbouncer.*) rm -rf "$home" ;; esac
rm -f "$dir/home" "$dir/port"
