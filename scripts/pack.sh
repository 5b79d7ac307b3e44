#!/usr/bin/env bash
# Packs every library and the flowstate tool into ./artifacts (or the folder given): one .nupkg and one .snupkg
# (symbols) per library, and the tool as one package per platform plus the package that names them. Release build,
# deterministic, with package validation.
#   bash scripts/pack.sh [folder]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out="${1:-artifacts}"
mkdir -p "$out"
dotnet pack FlowState.slnx -c Release -o "$out" "${@:2}"
echo "packages in $out:"
find "$out" -maxdepth 1 -name '*.nupkg' -printf '  %f (%s bytes)\n' | sort
