#!/usr/bin/env bash
# The exactly-once failure matrix with N crashes per backend and sink (file sink on SQLite and RocksDB state,
# PostgreSQL sink; the test command runs 10 each):  scripts/eos-test.sh 500
# Each crash is a SIGKILL from the test at a random moment, or a planned SIGKILL or exception of the child during
# processing, a snapshot, after a manifest, after a pre-commit, after a commit, or in recovery.
set -euo pipefail
cd "$(dirname "$0")/.."
crashes="${1:-20}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 FLOWSTATE_CRASH_KILLS="$crashes"
for project in tests/FlowState.Sqlite.Tests tests/FlowState.RocksDb.Tests tests/FlowState.Postgres.Tests; do
  dotnet build "$project" -c Release
  dotnet test "$project" -c Release --no-build --filter "FullyQualifiedName~StreamFailureMatrix"
done
