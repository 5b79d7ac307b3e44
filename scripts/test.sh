#!/usr/bin/env bash
# The test command: installs what the tests need (scripts/install-test-deps.sh: PostgreSQL, PgBouncer, redis-server, nats-server,
# s3rver; once, skipping what is present) while it restores and builds everything with warnings as errors, runs every
# test project, the examples and the .NET tool, and prints one closing line "tests: N passed, N failed", with the
# failing tests' names and first lines just above it. The test servers are started by the test projects that need
# them, through scripts/start-*.sh (127.0.0.1, a free port, stopped by PID).
#   FLOWSTATE_STRESS_OPS=1000000 scripts/test.sh   # longer concurrency stress run
#   FLOWSTATE_CRASH_KILLS=200 scripts/test.sh      # longer kill loops (scripts/crash-test.sh N runs only those)
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK (dotnet) is not on PATH" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log" "$log".*' EXIT
phase_start=$SECONDS
timings=()
phase_done() { timings+=("$1 $((SECONDS - phase_start)) s"); phase_start=$SECONDS; }

# The install runs beside the build (apt and npm wait on the network, the build on the CPU); no test starts before
# both are done.
bash scripts/install-test-deps.sh >"$log.install" 2>&1 &
install_pid=$!
dotnet restore FlowState.slnx
dotnet build FlowState.slnx --no-restore -c Release
phase_done build
if ! wait "$install_pid"; then
  cat "$log.install" >&2
  echo "error: scripts/install-test-deps.sh could not install what the tests need (above); no test ran" >&2
  exit 1
fi
grep -E '^(installing|error)' "$log.install" || true
phase_done "install (after the build)"

status=0
dotnet test FlowState.slnx --no-build -c Release 2>&1 | tee "$log" || status=$?
phase_done "dotnet test"
# The README's main command, twice on one SQLite file: the second run must see the first run's state.
repo="$(pwd)"
main_dir="$(mktemp -d)"
main_ok=1
for _ in 1 2; do
  (cd "$main_dir" && dotnet run --project "$repo/src/FlowState.Cli" --no-build -c Release -- run "$repo/examples/flows/word-count.yaml") >>"$log.main" 2>&1 || main_ok=0
done
if [ "$main_ok" -eq 1 ] && grep -q "This store has counted 338 words in 2 run(s)." "$log.main" && [ -f "$main_dir/flowstate.db" ]; then
  echo "main job: flowstate run word-count, twice; the second run saw the first"
else
  cat "$log.main" >&2
  echo "error: the README's main job (flowstate run examples/flows/word-count.yaml) failed" >&2
  status=1
fi
rm -rf "$main_dir"

# The stream examples, in one working directory: the word count twice (the second run continues from the first's
# checkpoint and commits nothing twice), the session windows, and the exactly-once pipeline over resent events.
streams_dir="$(mktemp -d)"
streams_ok=1
for example in word-count word-count sessions exactly-once; do
  (cd "$streams_dir" && dotnet run --project "$repo/src/FlowState.Cli" --no-build -c Release -- run "$repo/examples/streams/$example.yaml") >>"$log.streams" 2>&1 || streams_ok=0
done
if [ "$streams_ok" -eq 1 ] \
   && grep -q "pipeline word-count completed (continued from checkpoint 1): 0 message(s) read" "$log.streams" \
   && [ "$(cat "$streams_dir"/out/word-count/part-*.jsonl | wc -l)" -eq 318 ] \
   && [ "$(cat "$streams_dir"/out/sessions/part-*.jsonl | wc -l)" -eq 6 ] \
   && [ "$(cat "$streams_dir"/out/exactly-once/part-*.jsonl | wc -l)" -eq 200 ]; then
  echo "examples: stream word count (continued from its checkpoint), sessions, exactly-once over resent events"
else
  cat "$log.streams" >&2
  echo "error: the stream examples under examples/streams failed" >&2
  status=1
fi
rm -rf "$streams_dir"

# The store tour example, twice on one SQLite file: the second run must see the first run's state.
example_db="$(mktemp -d)/flowstate.db"
example_ok=1
dotnet run --project examples/StoreTour --no-build -c Release -- "$example_db" >"$log.example" 2>&1 || example_ok=0
dotnet run --project examples/StoreTour --no-build -c Release -- "$example_db" >>"$log.example" 2>&1 || example_ok=0
if [ "$example_ok" -eq 1 ] && grep -q "1 earlier run(s), 3 documents processed so far" "$log.example"; then
  echo "example: the store tour's second run saw the first run's state"
else
  cat "$log.example" >&2
  echo "error: examples/StoreTour did not keep its state across two runs" >&2
  status=1
fi
rm -rf "$(dirname "$example_db")"

# The worker service (examples/OrderWorker): appsettings.json, a flow per order with Polly retries, a pipeline from
# configuration, health checks and OpenTelemetry (console exporter). Twice on one data directory: the second run
# fulfils nothing again and its pipeline continues from the first's checkpoint.
worker_dir="$(mktemp -d)"
worker_ok=1
dotnet run --project examples/OrderWorker --no-build -c Release -- --Worker:DataDirectory="$worker_dir" --Telemetry:Exporter=console >"$log.worker" 2>&1 || worker_ok=0
grep -q "^fulfilled 6 new orders (0 fulfilled by earlier runs); carrier calls: 12" "$log.worker" || worker_ok=0
grep -q "^pipeline order-counts: Completed, 6 orders read this run" "$log.worker" || worker_ok=0
grep -q "^health: Healthy (flowstate: Healthy, flowstate-pipelines: Healthy)" "$log.worker" || worker_ok=0
grep -Eq "^Activity.DisplayName: +flowstate.commit" "$log.worker" || worker_ok=0
grep -q "^Metric Name: flowstate.commit.duration, .*Unit: s," "$log.worker" || worker_ok=0
dotnet run --project examples/OrderWorker --no-build -c Release -- --Worker:DataDirectory="$worker_dir" >>"$log.worker" 2>&1 || worker_ok=0
grep -q "^fulfilled 0 new orders (6 fulfilled by earlier runs); carrier calls: 0" "$log.worker" || worker_ok=0
grep -q "^pipeline order-counts: Completed, 0 orders read this run" "$log.worker" || worker_ok=0
if [ "$worker_ok" -eq 1 ]; then
  echo "example: the order worker ran twice in a host (health, OpenTelemetry), the second run redid nothing"
else
  cat "$log.worker" >&2
  echo "error: examples/OrderWorker failed" >&2
  status=1
fi
rm -rf "$worker_dir"

# Every flow shape, in memory and on a SQLite file: eleven lines, among them a resumed run whose posts ran once and a
# run interrupted for review and resumed with the answer.
shapes_db="$(mktemp -d)/shapes.db"
for store_args in "" "--sqlite $shapes_db"; do
  # shellcheck disable=SC2086 # store_args is two words or none
  if dotnet run --project examples/FlowShapes --no-build -c Release -- $store_args >"$log.shapes" 2>&1 \
     && [ "$(wc -l <"$log.shapes")" -eq 11 ] \
     && grep -q "Interrupted (please review the draft), then Completed: published by ada" "$log.shapes" \
     && grep -q "resumed: extract, enrich, upload, notify (each once)" "$log.shapes" \
     && grep -q "receive → check-schema → check-links → publish" "$log.shapes"; then
    echo "example: every flow shape ran ${store_args:+on SQLite}"
  else
    cat "$log.shapes" >&2
    echo "error: examples/FlowShapes failed ${store_args}" >&2
    status=1
  fi
done
rm -rf "$(dirname "$shapes_db")"

# The Agent Framework workflow with its checkpoints in FlowState: killed (SIGKILL) while it waits for an approval, then
# resumed by a second process from the SQLite store, answered, and published; a second answer is refused.
review_db="$(mktemp -d)/review.db"
review_ok=1
dotnet run --project examples/AgentFrameworkReview --no-build -c Release -- start "$review_db" >"$log.review" 2>&1 && review_ok=0
[ "$(grep -c '^ran: ' "$log.review")" -eq 6 ] && grep -q "^waiting for approval of: length: 39 characters; spelling: fine; tone: calm" "$log.review" || review_ok=0
dotnet run --project examples/AgentFrameworkReview --no-build -c Release -- resume yes "$review_db" >>"$log.review" 2>&1 || review_ok=0
grep -q "^workflow Idle: published" "$log.review" || review_ok=0
dotnet run --project examples/AgentFrameworkReview --no-build -c Release -- resume no "$review_db" >>"$log.review" 2>&1 && review_ok=0
grep -q "was answered already: yes, published" "$log.review" || review_ok=0
if [ "$review_ok" -eq 1 ]; then
  echo "example: an Agent Framework workflow killed while waiting for approval, resumed from FlowState by another process"
else
  cat "$log.review" >&2
  echo "error: examples/AgentFrameworkReview failed" >&2
  status=1
fi
rm -rf "$(dirname "$review_db")"

# The packages, as a newcomer meets them: scripts/pack.sh into ./artifacts, then the README's install lines run word for
# word in a new folder beside it, the README's tour as that app's Program.cs, run twice (the second run must see the
# first's state in app.db). Then the flowstate tool installed from the same folder (no other feed asked) and used on a
# SQLite file and a RocksDB directory (its native libraries are found from the package's layout); its
# linux-x64 package must stay under 25 MB.
phase_done examples
pkg_root="$(mktemp -d)"
packages_ok=0
# Every run packs the same version, which NuGet's package cache would serve stale: this build's FlowState packages
# leave the cache first (the rest of the cache stays, so nothing else is downloaded again).
nuget_cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$nuget_cache"/flowstate "$nuget_cache"/flowstate.*

if bash scripts/pack.sh "$pkg_root/artifacts" >"$log.pack" 2>&1; then
  sed -n '/<!-- install: begin/,/<!-- install: end/p' README.md | sed '1,/^```bash$/d' | sed '/^```$/,$d' >"$pkg_root/install.sh"
  sed -n '/<!-- tour: begin/,/<!-- tour: end/p' README.md | sed '1,/^```csharp$/d' | sed '/^```$/,$d' >"$pkg_root/Program.cs"
  if (cd "$pkg_root" && bash -e install.sh) >>"$log.pack" 2>&1 \
     && cp "$pkg_root/Program.cs" "$pkg_root/MyApp/Program.cs" \
     && (cd "$pkg_root/MyApp" && dotnet run && dotnet run) >>"$log.pack" 2>&1 \
     && grep -q 'Plan { Name = pro, Seats = 5 } at version 1; visit 1' "$log.pack" \
     && grep -q '; visit 2$' "$log.pack" \
     && [ "$(grep -c '^words: 5$' "$log.pack")" -eq 2 ] \
     && grep -q '^run .*: Completed after 2 steps$' "$log.pack"; then
    packages_ok=1
  fi
fi
# The conformance kit as a backend author gets it: a new xunit project referencing the FlowState.Testing and
# FlowState.Sqlite packages (no project of this repository), whose one class runs the kit's store suite on SQLite.
kit_tests=0
if [ "$packages_ok" -eq 1 ]; then
  version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' src/Directory.Build.props)"
  mkdir -p "$pkg_root/KitTests"
  cp "$pkg_root/MyApp/nuget.config" "$pkg_root/KitTests/nuget.config"
  cat >"$pkg_root/KitTests/KitTests.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="$(sed -n 's:.*"Microsoft.NET.Test.Sdk" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)" />
    <PackageReference Include="xunit" Version="$(sed -n 's:.*"xunit" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)" />
    <PackageReference Include="xunit.runner.visualstudio" Version="$(sed -n 's:.*"xunit.runner.visualstudio" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)" />
    <PackageReference Include="FlowState.Testing" Version="$version" />
    <PackageReference Include="FlowState.Sqlite" Version="$version" />
  </ItemGroup>
</Project>
XML
  cat >"$pkg_root/KitTests/SqliteFromTheKit.cs" <<'CS'
using FlowState;
using FlowState.Sqlite;
using FlowState.Testing;

public sealed class SqliteFromTheKit : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new SqliteStateBackend(NewStoragePath() + ".db");
        return Open(options);
    }
}
CS
  if (cd "$pkg_root/KitTests" && dotnet test) >"$log.kit" 2>&1; then
    kit_tests=$(grep -Eo 'Passed: +[0-9]+' "$log.kit" | awk '{s+=$2} END {print s+0}')
  fi
fi
if [ "$packages_ok" -eq 1 ] && [ "$kit_tests" -gt 0 ]; then
  echo "packages: packed, added to a new app as the README says, and the README's tour ran twice on them; the conformance kit's store suite ran from its package ($kit_tests tests passed)"
else
  cat "$log.kit" >&2 2>/dev/null || true
  cat "$log.pack" >&2
  echo "error: packing, using the packages as the README says, or running the conformance kit from its package failed" >&2
  status=1
fi

phase_done "packages and kit"
tool_ok=0
tool_package="$pkg_root/artifacts/FlowState.Cli.linux-x64.$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' src/Directory.Build.props).nupkg"
printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear /><add key="local" value="%s" /></packageSources></configuration>\n' "$pkg_root/artifacts" >"$pkg_root/tool.config"
if [ -f "$tool_package" ] && [ "$(stat -c %s "$tool_package")" -le 25000000 ] \
   && dotnet tool install FlowState.Cli --tool-path "$pkg_root/tools" --configfile "$pkg_root/tool.config" >"$log.tool" 2>&1 \
   && "$pkg_root/tools/flowstate" state set greeting '"installed"' --store "$pkg_root/tool.db" >>"$log.tool" 2>&1 \
   && [ "$("$pkg_root/tools/flowstate" state get greeting --store "$pkg_root/tool.db")" = '"installed"' ] \
   && "$pkg_root/tools/flowstate" state set greeting '"installed"' --store "rocksdb:$pkg_root/tool.rocksdb" >>"$log.tool" 2>&1 \
   && [ "$("$pkg_root/tools/flowstate" state get greeting --store "rocksdb:$pkg_root/tool.rocksdb")" = '"installed"' ] \
   && "$pkg_root/tools/flowstate" --help | grep -q '^  flowstate \[command\] \[options\]'; then
  tool_ok=1
fi
if [ "$tool_ok" -eq 1 ]; then
  echo "tool: flowstate installed from its linux-x64 package ($(stat -c %s "$tool_package") bytes) and used, on SQLite and on RocksDB"
else
  ls -l "$pkg_root/artifacts" >&2 || true
  cat "$log.tool" >&2 || true
  echo "error: the flowstate tool package is missing, over 25 MB, or did not install and run" >&2
  status=1
fi
rm -rf "$pkg_root" "$nuget_cache"/flowstate "$nuget_cache"/flowstate.*

phase_done tool

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "error: no test ran" >&2
  status=1
fi
printf 'time:'; printf ' %s;' "${timings[@]}"; printf ' total %s s\n' "$SECONDS"
grep -E '^Passed!|^Failed!' "$log" | sed -E 's/^(Passed|Failed)! +- +/  /' || true
if [ "$failed" -gt 0 ]; then
  # Each failing test's name and the first line of its message, so the end of the log says what broke.
  echo "failing tests:"
  awk '/^ +Failed [^ ]/ { sub(/^ +Failed /, "  - "); name = $0; next }
       name != "" && /^ +Error Message:/ { getline; sub(/^ +/, ""); print name ": " substr($0, 1, 200); name = "" }' "$log"
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
