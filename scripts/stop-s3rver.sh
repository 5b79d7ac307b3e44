#!/usr/bin/env bash
# Stops the s3rver scripts/start-s3rver.sh started for DIR, by the PID in DIR/s3rver.pid.
set -euo pipefail
dir="${1:?usage: stop-s3rver.sh DIR}"
# shellcheck source=lib/stop-pid.sh
source "$(dirname "$0")/lib/stop-pid.sh"
stop_pid "$dir/s3rver.pid"
