using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The exactly-once failure matrix: a child process runs a sequence-numbered source → keyed counter → exactly-once file
/// sink, keyed state on the backend under test, and dies — by SIGKILL from the parent at a random moment, or by a
/// planned SIGKILL or exception of its own during processing, a state snapshot, after a manifest, after a pre-commit,
/// after a commit, or in recovery itself. New input is appended before every run. At the end a clean run finishes the
/// input, and the committed output must hold every message exactly once with per-key counts 1..n, and the restored state
/// must equal the model. <c>FLOWSTATE_CRASH_KILLS</c> (default 10) sets the crashes; <c>scripts/eos-test.sh N</c> runs N.
/// </summary>
public abstract class StreamFailureMatrixConformanceTests : CrashTestBase
{
    private const int Keys = 23;
    private const int MessagesPerRun = 1500;

    [Fact]
    public async Task Crashes_anywhere_lose_and_duplicate_nothing()
    {
        var path = StoragePath();
        var random = new Random(Kills * 7919);
        var total = 0;
        var crashes = 0;
        var byCause = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var attempt = 0; crashes < Kills && attempt < Kills * 4; attempt++)
        {
            SequenceInput.Write(path + ".input.jsonl", MessagesPerRun, Keys, from: total);
            total += MessagesPerRun;
            var plan = random.Next(3) == 0
                ? "none"
                : $"{(random.Next(2) == 0 ? "kill" : "throw")}:{StreamFaults.Points[random.Next(StreamFaults.Points.Length)]}:{random.Next(1, 4)}";
            using var child = await CrashHarnessProcess.StartAsync([HarnessBackend, path, "streams", plan, .. SinkArguments]);
            var (exitCode, killed, lines) = await child.ExitOrKillAsync(plan == "none" ? TimeSpan.FromMilliseconds(random.Next(30, 400)) : TimeSpan.FromSeconds(60));
            Assert.False(killed && plan != "none", $"plan {plan}: the child hung for a minute: {string.Join('\n', lines)}");
            if (exitCode == 0)
            {
                Assert.StartsWith("DONE", lines[^1], StringComparison.Ordinal);
                continue;
            }

            Assert.True(exitCode is 3 or 137, $"plan {plan}: exit code {exitCode}: {string.Join('\n', lines)} {await child.ErrorsAsync()}");
            crashes++;
            var cause = plan == "none" ? "parent kill" : plan[..plan.LastIndexOf(':')];
            byCause[cause] = byCause.GetValueOrDefault(cause) + 1;
        }

        Assert.True(crashes >= Kills, $"only {crashes} crashes: {string.Join(", ", byCause)}");
        using (var final = await CrashHarnessProcess.StartAsync([HarnessBackend, path, "streams", "none", .. SinkArguments]))
        {
            var (exitCode, _, lines) = await final.ExitOrKillAsync(TimeSpan.FromMinutes(2));
            Assert.True(exitCode == 0, $"the clean run failed: {string.Join('\n', lines)} {await final.ErrorsAsync()}");
        }

        Assert.Equal(SequenceInput.Model(total, Keys), SequenceInput.CheckOutput(await ReadCommittedLinesAsync(path), total));
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
        var counts = await SequenceInput.ReadCountsAsync(store.For(StateScope.Custom("stream").Child("eos").Child("counts")));
        Assert.Equal(SequenceInput.Model(total, Keys), counts);
        Assert.True(byCause.Count >= 4, $"the crashes hit too few places: {string.Join(", ", byCause)}");
    }

    /// <summary>The harness's storage path (a SQLite file or a RocksDB directory); input, output and checkpoints sit beside it.</summary>
    protected virtual string StoragePath() => Directory.File("eos");

    /// <summary>What the harness is told about its sink: nothing is the file sink in <c>{path}.out</c>.</summary>
    protected virtual string[] SinkArguments => [];

    /// <summary>The sink's committed lines, in its order.</summary>
    protected virtual Task<IReadOnlyList<string>> ReadCommittedLinesAsync(string path) => JsonLinesFileSink.ReadCommittedLinesAsync(path + ".out");
}
