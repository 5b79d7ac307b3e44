#!/usr/bin/env bash
# Installs everything the tests need, once, before any test runs; skips what is present:
#   Debian packages postgresql, pgbouncer, redis-server (with redis-cli), nats-server (JetStream), strace (the fsync checks), chromium (the
#   inspector's browser tests, driven by Playwright); s3rver from npm (into ~/.cache/flowstate-tools).
# Safe to run while other installs are under way (it waits on apt's lock and on its own). Needs root only when
# something is missing; without root it names what to install.
set -euo pipefail
# shellcheck source=lib/install.sh
source "$(dirname "$0")/lib/install.sh"
require_debian_packages \
  'postgresql:/usr/lib/postgresql/*/bin/pg_ctl' \
  pgbouncer:/usr/sbin/pgbouncer \
  redis-server:redis-server \
  redis-tools:redis-cli \
  nats-server:nats-server \
  strace:strace \
  chromium:/usr/bin/chromium
require_npm_tool s3rver@3.7.1 s3rver
