using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// A real crash test: a child process (FlowState.CrashHarness, which the backend's test project references so it is
/// copied beside the tests) writes to a store on the backend and reports each acknowledged operation; the parent kills
/// it with SIGKILL at a random moment, reopens the storage and checks, against a model, that every acknowledged write
/// is there and the one operation in flight is either wholly applied or not at all (a batch never half).
/// <c>FLOWSTATE_CRASH_KILLS</c> sets the kills per durability level (default 10); <c>scripts/crash-test.sh N</c> runs N.
/// </summary>
public abstract class CrashRecoveryConformanceTests : CrashTestBase
{
    [Theory]
    [InlineData(Durability.Process)]
    [InlineData(Durability.Machine)]
    public async Task Killed_process_never_loses_an_acknowledged_write(Durability durability)
    {
        var path = Directory.File($"crash-{durability}");
        var random = new Random(20261122 + (int)durability);
        var model = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        long nextId = 0;
        var inFlightApplied = 0;

        for (var kill = 0; kill < Kills; kill++)
        {
            var log = await RunAndKillAsync(path, durability, random.Next(), nextId, TimeSpan.FromMilliseconds(random.Next(5, 250))).WaitAsync(TimeSpan.FromSeconds(120));
            nextId = (log.Count == 0 ? nextId : log[^1].Id) + 1; // ids stay unique across runs, so values tell writes apart
            var inFlight = default(Operation);
            foreach (var op in log)
            {
                if (op.Acknowledged)
                {
                    Apply(model, op);
                }
                else
                {
                    Assert.True(inFlight is null, "the child runs one operation at a time, so at most one is in flight");
                    inFlight = op;
                }
            }

            var actual = await ReadStateAsync(path).WaitAsync(TimeSpan.FromSeconds(60));
            if (Same(actual, model))
            {
                continue;
            }

            Assert.True(inFlight is not null, $"kill {kill}: state differs from the acknowledged writes and nothing was in flight.\n{Describe(actual, model)}");
            var withInFlight = new Dictionary<string, JsonNode?>(model.Select(e => KeyValuePair.Create(e.Key, e.Value?.DeepClone())), StringComparer.Ordinal);
            Apply(withInFlight, inFlight!);
            Assert.True(Same(actual, withInFlight), $"kill {kill}: state is neither before nor after in-flight op {inFlight}.\n{Describe(actual, withInFlight)}");
            model = withInFlight;
            inFlightApplied++;
        }

        Assert.True(inFlightApplied <= Kills);
    }

    private async Task<List<Operation>> RunAndKillAsync(string path, Durability durability, int seed, long firstId, TimeSpan runFor)
    {
        using var harness = await CrashHarnessProcess.StartAsync(
            HarnessBackend, path, durability.ToString(), seed.ToString(CultureInfo.InvariantCulture), firstId.ToString(CultureInfo.InvariantCulture));
        // The kill lands a random time after the child's first acknowledged write: a random time from its start alone
        // can land before it wrote anything on a busy machine, and such a run proves nothing.
        await harness.WaitForLineAsync(line => line.StartsWith("ACK ", StringComparison.Ordinal), "ACK");
        await Task.Delay(runFor);
        var complete = await harness.KillAsync();
        var operations = new List<Operation>();
        foreach (var line in complete)
        {
            var parts = line.Split(' ');
            if (parts[0] == "BEGIN")
            {
                operations.Add(new Operation(long.Parse(parts[1], CultureInfo.InvariantCulture), parts[2], parts[3..]));
            }
            else if (parts[0] == "ACK")
            {
                var id = long.Parse(parts[1], CultureInfo.InvariantCulture);
                Assert.Equal(id, operations[^1].Id);
                operations[^1].Acknowledged = true;
            }
        }

        return operations;
    }

    private async Task<Dictionary<string, JsonNode?>> ReadStateAsync(string path)
    {
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
        var scope = store.For(StateScope.Workflow("crash"));
        var state = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        await foreach (var key in scope.ListKeysAsync())
        {
            state[key] = JsonNode.Parse((await scope.GetEntryAsync(key))!.Value.Span);
        }

        return state;
    }

    private static void Apply(Dictionary<string, JsonNode?> state, Operation op)
    {
        switch (op.Kind)
        {
            case "set":
                state[op.Keys[0]] = new JsonObject { ["v"] = op.Id };
                break;
            case "merge":
                var merged = state.GetValueOrDefault(op.Keys[0])?.DeepClone() as JsonObject ?? [];
                merged["m"] = op.Id;
                state[op.Keys[0]] = merged;
                break;
            case "delete":
                state.Remove(op.Keys[0]);
                break;
            case "batch":
                foreach (var key in op.Keys[..^1])
                {
                    state[key] = new JsonObject { ["v"] = op.Id };
                }

                state.Remove(op.Keys[^1]);
                break;
            default:
                throw new InvalidOperationException($"unknown operation {op.Kind}");
        }
    }

    private static bool Same(Dictionary<string, JsonNode?> a, Dictionary<string, JsonNode?> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var other) && JsonNode.DeepEquals(e.Value, other));

    private static string Describe(Dictionary<string, JsonNode?> actual, Dictionary<string, JsonNode?> expected) =>
        "actual:   " + string.Join(", ", actual.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value?.ToJsonString()}")) + "\n" +
        "expected: " + string.Join(", ", expected.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value?.ToJsonString()}"));

    private sealed class Operation(long id, string kind, string[] keys)
    {
        public long Id { get; } = id;

        public string Kind { get; } = kind;

        public string[] Keys { get; } = keys;

        public bool Acknowledged { get; set; }

        public override string ToString() => $"{Id} {Kind} {string.Join(' ', Keys)}";
    }
}
