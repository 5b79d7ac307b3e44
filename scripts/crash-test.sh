#!/usr/bin/env bash
# The crash test with N SIGKILLs per backend and durability level (the test command runs 10):  scripts/crash-test.sh 500
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-20}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 FLOWSTATE_CRASH_KILLS="$kills"
for project in tests/FlowState.Sqlite.Tests tests/FlowState.RocksDb.Tests; do
  dotnet build "$project" -c Release
  dotnet test "$project" -c Release --no-build --filter "FullyQualifiedName~CrashRecoveryTests"
done
