#!/usr/bin/env bash
# Starts a throwaway PgBouncer for the tests in front of the PostgreSQL server on 127.0.0.1:PGPORT, in transaction
# pooling mode (the mode that breaks session state: server-side prepared statements, LISTEN, session locks), on
# 127.0.0.1 and a free port, trust authentication for user postgres. DIR (created) records its folder and PID.
# Installs Debian's pgbouncer first when it is missing (needs root). Prints the port.
# Stop it with scripts/stop-pgbouncer.sh DIR (by PID).
#   port=$(scripts/start-pgbouncer.sh /tmp/bouncer 5432) && psql -h 127.0.0.1 -p "$port" -U postgres
set -euo pipefail
dir="${1:?usage: start-pgbouncer.sh DIR PGPORT}"
pg_port="${2:?usage: start-pgbouncer.sh DIR PGPORT}"

# shellcheck source=lib/install.sh
source "$(dirname "$0")/lib/install.sh"
require_debian_packages pgbouncer:/usr/sbin/pgbouncer
bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

# shellcheck source=lib/as-postgres.sh
source "$(dirname "$0")/lib/as-postgres.sh"

# shellcheck source=lib/ports.sh
source "$(dirname "$0")/lib/ports.sh"

mkdir -p "$dir"
home=$("${as_owner[@]}" mktemp -d /tmp/flowstate-pgbouncer.XXXXXX)
echo "$home" >"$dir/home"
"${as_owner[@]}" sh -c "printf '\"postgres\" \"\"\n' > '$home/users.txt'"
for attempt in 1 2 3; do
  port=$(free_port)
  "${as_owner[@]}" tee "$home/pgbouncer.ini" >/dev/null <<INI
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
admin_users = postgres
auth_file = $home/users.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
pidfile = $home/pgbouncer.pid
logfile = $home/pgbouncer.log
INI
  if "${as_owner[@]}" "$bouncer" -d "$home/pgbouncer.ini" >&2 && sleep 0.2 && [ -f "$home/pgbouncer.pid" ] \
       && wait_for_port "$port" "$home/pgbouncer.pid"; then
    echo "$port" >"$dir/port"
    echo "$port"
    exit 0
  fi
  echo "pgbouncer did not start on port $port (attempt $attempt)" >&2
  cat "$home/pgbouncer.log" >&2 2>/dev/null || true
done
exit 1
