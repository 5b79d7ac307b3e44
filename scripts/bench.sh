#!/usr/bin/env bash
# Runs the BenchmarkDotNet suite; results (markdown + CSV) land in BenchmarkDotNet.Artifacts/results/.
#   scripts/bench.sh                    # every benchmark
#   scripts/bench.sh --filter '*Bounded*'
# Each FlowState row has its baseline measured in the same run; Ratio = FlowState time / baseline time.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ "$#" -eq 0 ]; then set -- --filter '*'; fi
nproc_count=$(nproc)
echo "machine: ${nproc_count} cores, $(dotnet --version) SDK, $(uname -m)"
dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- "$@"
