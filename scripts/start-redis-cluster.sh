#!/usr/bin/env bash
# Starts a throwaway Redis Cluster for the tests: three masters (no replicas) on 127.0.0.1 and free ports, data in
# DIR/node-N (created), the 16,384 hash slots split between them by redis-cli --cluster create. Prints the ports,
# comma-separated, once the cluster reports cluster_state:ok. Installs Debian's redis-server first when it is missing
# (needs root). Stop it with scripts/stop-redis-cluster.sh DIR (by the PIDs in DIR/node-N/redis.pid).
set -euo pipefail
dir="${1:?usage: start-redis-cluster.sh DIR}"
# shellcheck source=lib/install.sh
source "$(dirname "$0")/lib/install.sh"
require_debian_packages redis-server:redis-server redis-tools:redis-cli
# shellcheck source=lib/ports.sh
source "$(dirname "$0")/lib/ports.sh"

ports=()
for node in 1 2 3; do
  home="$dir/node-$node"
  mkdir -p "$home"
  started=""
  for attempt in 1 2 3; do
    port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$port" --dir "$home" --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file "$home/nodes.conf" --cluster-node-timeout 5000 \
      --daemonize no --logfile "$home/redis.log" >/dev/null 2>&1 &
    echo $! >"$home/redis.pid"
    if wait_for_port "$port" "$home/redis.pid"; then started="$port"; break; fi
    echo "redis-server (cluster node $node) did not start on port $port (attempt $attempt)" >&2
  done
  [ -n "$started" ] || { cat "$home/redis.log" >&2 || true; exit 1; }
  echo "$started" >"$home/redis.port"
  ports+=("$started")
done

redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" \
  --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 || { cat "$dir/create.log" >&2; exit 1; }
for _ in $(seq 1 100); do
  ready=yes
  for port in "${ports[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ready=no
  done
  if [ "$ready" = yes ]; then (IFS=,; echo "${ports[*]}"); exit 0; fi
  sleep 0.1
done
echo "the cluster did not reach cluster_state:ok" >&2
exit 1
