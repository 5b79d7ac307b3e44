# Sourced by start-postgres.sh and start-pgbouncer.sh. Both servers refuse to run as root: when we are root, as_owner
# (an array to put before a command) runs it as the postgres user, created when missing; otherwise it is empty.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_owner=(runuser -u postgres --)
fi
