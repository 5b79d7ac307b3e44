# Sourced by the start-*.sh scripts. free_port prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

# wait_for_port PORT PIDFILE: waits up to 10 s until something listens on 127.0.0.1:PORT; if instead the process in
# PIDFILE ends or the time runs out, kills it and fails.
wait_for_port() {
  local port="$1" pid
  pid=$(cat "$2")
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  return 1
}
