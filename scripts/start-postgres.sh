#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests: a new cluster (in a folder of its own under /tmp, owned by the
# server's user; DIR, created, records where) on 127.0.0.1 and a free port,
# trust authentication for user postgres, max_prepared_transactions=64 (the two-phase-commit sink needs it).
# Installs Debian's postgresql first when the server binaries are missing (scripts/lib/install.sh; needs root).
# Prints the port. Stop it with scripts/stop-postgres.sh DIR (by the PID in the cluster's postmaster.pid). When DIR
# holds a cluster that scripts/stop-postgres.sh DIR crash stopped, starts that cluster again on its port (crash
# recovery replays its WAL).
#   port=$(scripts/start-postgres.sh /tmp/pg) && psql -h 127.0.0.1 -p "$port" -U postgres
set -euo pipefail
dir="${1:?usage: start-postgres.sh DIR}"

# shellcheck source=lib/install.sh
source "$(dirname "$0")/lib/install.sh"
require_debian_packages 'postgresql:/usr/lib/postgresql/*/bin/pg_ctl'
bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  if [ -x "$candidate/pg_ctl" ]; then bin="$candidate"; fi
done
[ -n "$bin" ] || { echo "error: no PostgreSQL server binaries (pg_ctl) found" >&2; exit 1; }

# shellcheck source=lib/as-postgres.sh
source "$(dirname "$0")/lib/as-postgres.sh"

# shellcheck source=lib/ports.sh
source "$(dirname "$0")/lib/ports.sh"

mkdir -p "$dir"
server_options() { echo "-p $1 -k $2 -c listen_addresses=127.0.0.1 -c max_prepared_transactions=64 -c max_connections=200"; }
if [ -f "$dir/cluster" ] && [ -f "$dir/port" ]; then
  cluster=$(cat "$dir/cluster")
  port=$(cat "$dir/port")
  "${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 -o "$(server_options "$port" "$cluster")" start >&2 \
    || { cat "$cluster/server.log" >&2; exit 1; }
  echo "$port"
  exit 0
fi
cluster=$("${as_owner[@]}" mktemp -d /tmp/flowstate-pg.XXXXXX)
echo "$cluster" >"$dir/cluster"
"${as_owner[@]}" "$bin/initdb" -D "$cluster/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
for attempt in 1 2 3; do
  port=$(free_port)
  if "${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
       -o "$(server_options "$port" "$cluster")" start >&2; then
    echo "$port" >"$dir/port"
    echo "$port"
    exit 0
  fi
  echo "postgres did not start on port $port (attempt $attempt)" >&2
done
cat "$cluster/server.log" >&2
exit 1
