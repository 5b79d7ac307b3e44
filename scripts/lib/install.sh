# Sourced by install-test-deps.sh and the start-*.sh scripts: installs what the tests need, once, serialized.
#   require_debian_packages PACKAGE:COMMAND ...
# installs each Debian PACKAGE whose COMMAND (a program name, or an absolute path that may be a glob) is missing, in one apt-get call.
# Callers in parallel (the test assemblies start their servers at the same moment) take turns on one flock, and apt
# itself waits up to 10 minutes on the dpkg lock of anything else installing (DPkg::Lock::Timeout) instead of failing.
# Without root, and with something missing, it fails with one message naming every missing package.
#   require_npm_tool PACKAGE@VERSION BIN   installs an npm package into FLOWSTATE_TOOLS (~/.cache/flowstate-tools)
# unless its BIN is there, under the same kind of lock. Prints the tools folder's path of BIN.
flowstate_lock_file="${FLOWSTATE_INSTALL_LOCK:-/tmp/flowstate-install.lock}"
flowstate_tools="${FLOWSTATE_TOOLS:-$HOME/.cache/flowstate-tools}"

flowstate_has() {
  case "$1" in
    /*)
      # An absolute path may be a glob (/usr/lib/postgresql/*/bin/pg_ctl).
      local candidate
      for candidate in $1; do [ -x "$candidate" ] && return 0; done
      return 1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

flowstate_missing_packages() {
  local spec package probe missing=()
  for spec in "$@"; do
    package="${spec%%:*}"
    probe="${spec#*:}"
    if ! flowstate_has "$probe"; then missing+=("$package"); fi
  done
  echo "${missing[*]}"
}

require_debian_packages() {
  local missing
  missing=$(flowstate_missing_packages "$@")
  [ -n "$missing" ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: the tests need these Debian packages, which are not installed: $missing" >&2
    echo "       install them as root (apt-get install $missing), or run the test command as root" >&2
    return 1
  fi
  (
    flock -w 1200 9 || { echo "error: waited 20 minutes for $flowstate_lock_file (another FlowState install)" >&2; exit 1; }
    # Another caller may have installed them while this one waited for the lock.
    missing=$(flowstate_missing_packages "$@")
    [ -n "$missing" ] || exit 0
    echo "installing Debian packages: $missing" >&2
    local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
    # shellcheck disable=SC2086 # missing is a list of package names
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install $missing >&2 \
      || { "${apt[@]}" update >&2 && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install $missing >&2; } \
      || { echo "error: apt-get could not install: $missing" >&2; exit 1; }
    # Packages that start a system-wide server (pgbouncer, redis-server) where services may start: the tests run
    # their own servers on free ports, so these are stopped.
    for service in pgbouncer redis-server; do
      case " $missing " in
        *" $service "*) service "$service" stop >/dev/null 2>&1 || true ;;
      esac
    done
    missing=$(flowstate_missing_packages "$@")
    [ -z "$missing" ] || { echo "error: installed, but still missing: $missing" >&2; exit 1; }
  ) 9>"$flowstate_lock_file"
}

require_npm_tool() {
  local package="$1" bin="$2"
  if [ -x "$flowstate_tools/node_modules/.bin/$bin" ]; then return 0; fi
  command -v npm >/dev/null 2>&1 || { echo "error: the tests need $package from npm, and npm (Node.js) is not installed" >&2; return 1; }
  mkdir -p "$flowstate_tools"
  (
    flock -w 1200 9 || { echo "error: waited 20 minutes for $flowstate_lock_file (another FlowState install)" >&2; exit 1; }
    [ -x "$flowstate_tools/node_modules/.bin/$bin" ] && exit 0
    echo "installing $package (npm) into $flowstate_tools" >&2
    (cd "$flowstate_tools" && npm install --no-audit --no-fund --silent "$package" >&2) \
      || { echo "error: npm could not install $package" >&2; exit 1; }
  ) 9>"$flowstate_lock_file"
}
