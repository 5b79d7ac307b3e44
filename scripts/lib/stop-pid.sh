# Sourced by the stop-*.sh scripts: stop_pid PIDFILE sends SIGTERM to the PID in PIDFILE (if it still runs), waits up
# to 10 s for it to end, then sends SIGKILL.
stop_pid() {
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
