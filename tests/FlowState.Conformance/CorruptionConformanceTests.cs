using Xunit;
using Xunit.Abstractions;

namespace FlowState.Conformance;

/// <summary>
/// Damaged storage: bytes of each of the backend's files are flipped, zeroed or cut off, and the storage is opened.
/// Opening must either recover a state the store really had (a torn log tail drops the newest commits, never part of
/// one) or throw <see cref="StateCorruptedException"/> naming the storage; it must never return wrong data. Two
/// images are damaged: one of a store closed cleanly, one copied while the store was open (what a crash leaves).
/// Each of the six cases runs <see cref="TrialsPerCase"/> trials spread over the files (216 per backend by default),
/// and reports how each trial ended.
/// </summary>
public abstract class CorruptionConformanceTests(ITestOutputHelper output) : IDisposable
{
    private const int Commits = 24;

    private readonly TemporaryDirectory _directory = new();

    /// <summary>Trials per case: <c>FLOWSTATE_CORRUPTION_TRIALS</c>, default 36 (six cases: 216 per backend).</summary>
    private static int TrialsPerCase => LoopCounts.FromEnvironment("FLOWSTATE_CORRUPTION_TRIALS", 36);

    /// <summary>A backend over <paramref name="path"/> (a file or a directory, as the backend uses it).</summary>
    protected abstract IStateBackend CreateBackend(string path);

    /// <summary>The files of the storage at <paramref name="path"/> that hold state (not informational logs); each path starts with <paramref name="path"/>.</summary>
    protected abstract IReadOnlyList<string> DataFiles(string path);

    /// <summary>Copies the storage at <paramref name="source"/> to <paramref name="destination"/>, byte for byte.</summary>
    protected abstract void CopyStorage(string source, string destination);

    /// <summary>
    /// Whether <paramref name="file"/> cut to zero bytes is, by the backend's own format, an empty store rather than
    /// a damaged one (a SQLite database file: SQLite treats an empty file as a new database).
    /// </summary>
    protected virtual bool IsEmptyStorageWhenTruncatedToZero(string file) => false;

    public void Dispose()
    {
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData("closed", "flip")]
    [InlineData("closed", "zero")]
    [InlineData("closed", "truncate")]
    [InlineData("crashed", "flip")]
    [InlineData("crashed", "zero")]
    [InlineData("crashed", "truncate")]
    public async Task Damaged_storage_opens_to_a_real_past_state_or_fails_as_corrupted(string image, string damage)
    {
        var (imagePath, states) = await WriteImageAsync(image);
        var files = DataFiles(imagePath);
        Assert.NotEmpty(files);
        // A fixed seed per case keeps CI reproducible; FLOWSTATE_CORRUPTION_SEED explores other positions.
        var seed = (int.TryParse(Environment.GetEnvironmentVariable("FLOWSTATE_CORRUPTION_SEED"), out var s) ? s : 7) + (image.Length * 31) + damage.Length;
        var random = new Random(seed);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        var @case = 0;
        files = [.. files.Where(file => new FileInfo(file).Length > 0)];
        var trials = TrialsPerCase;
        for (var f = 0; f < files.Count; f++)
        {
            var file = files[f];
            var length = new FileInfo(file).Length;
            // Trials go round the files; each file's first trial damages its first byte and its second its last.
            var perFile = (trials / files.Count) + (f < trials % files.Count ? 1 : 0);
            for (var i = 0; i < perFile; i++)
            {
                var position = i == 0 ? 0 : i == 1 ? Math.Max(0, length - 1) : random.NextInt64(length);
                var copy = _directory.File($"case-{image}-{damage}-{++@case}");
                CopyStorage(imagePath, copy);
                // Every data file's path starts with the storage path: "dir/000009.sst" or "file.db-wal".
                var target = copy + file[imagePath.Length..];

                Damage(target, damage, position);
                var description = $"{damage} of {Path.GetFileName(file)} at {position}/{length}";
                var outcome = await OpenAndJudgeAsync(copy, states, image == "closed");
                if (outcome.Kind == "wrong" && damage == "truncate" && position == 0 && IsEmptyStorageWhenTruncatedToZero(file) && outcome.Empty)
                {
                    outcome = ("emptied", null, true);
                }

                outcomes[outcome.Kind] = outcomes.GetValueOrDefault(outcome.Kind) + 1;
                if (outcome.Problem is not null)
                {
                    failures.Add($"{description}: {outcome.Problem}");
                }
            }
        }

        output.WriteLine($"{image} image, {damage}: {outcomes.Values.Sum()} trials over {files.Count} files: {string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"))}");
        Assert.True(failures.Count == 0, $"{failures.Count} damaged images were read wrongly (seed {seed}):\n{string.Join("\n", failures)}\noutcomes: {string.Join(", ", outcomes)}");
        Assert.True(outcomes.Values.Sum() == trials, $"{outcomes.Values.Sum()} of {trials} trials ran: {string.Join(", ", outcomes)}");
    }

    private static void Damage(string file, string damage, long position)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        switch (damage)
        {
            case "flip":
                stream.Position = position;
                var b = stream.ReadByte();
                stream.Position = position;
                stream.WriteByte((byte)(b ^ 0x5A));
                break;
            case "zero":
                stream.Position = position;
                var count = (int)Math.Min(64, stream.Length - position);
                stream.Write(new byte[count]);
                break;
            default:
                stream.SetLength(position);
                break;
        }

        stream.Flush(flushToDisk: false);
    }

    private async Task<(string Path, List<Dictionary<string, string>> States)> WriteImageAsync(string image)
    {
        var path = _directory.File("image-" + image);
        var states = new List<Dictionary<string, string>> { new(StringComparer.Ordinal) };
        var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path), Durability = Durability.Machine });
        try
        {
            var random = new Random(42);
            var padding = new string('p', 150);
            var scopes = new[] { store.For(StateScope.Workflow("run-1")), store.For(StateScope.Step("run-1", "fetch")), store.For(StateScope.Global) };
            for (var commit = 0; commit < Commits; commit++)
            {
                var scope = scopes[commit % scopes.Length];
                var batch = scope.CreateBatch();
                var sets = commit == 0 ? 150 : 4;
                for (var i = 0; i < sets; i++)
                {
                    batch.Set("key-" + random.Next(commit == 0 ? 150 : 60), new { commit, i, padding });
                }

                batch.Delete("key-" + random.Next(60));
                await scope.ApplyAsync(batch);
                states.Add(await SnapshotAsync(store));
            }

            if (image == "crashed")
            {
                CopyStorage(path, path + "-crashed");
                return (path + "-crashed", states);
            }
        }
        finally
        {
            await store.DisposeAsync();
        }

        return (path, states);
    }

    private async Task<(string Kind, string? Problem, bool Empty)> OpenAndJudgeAsync(string path, List<Dictionary<string, string>> states, bool closedCleanly)
    {
        Dictionary<string, string> actual;
        try
        {
            await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
            actual = await SnapshotAsync(store);
        }
        catch (StateCorruptedException ex)
        {
            return ex.Message.Contains(path, StringComparison.Ordinal) && ex.Location?.Contains(path, StringComparison.Ordinal) == true
                ? ("corrupted", null, false)
                : ("corrupted", $"the corruption error does not name '{path}' in its message and its Location ('{ex.Location}'): {ex.Message}", false);
        }
        catch (Exception ex)
        {
            return ("other", $"{ex.GetType().Name} instead of StateCorruptedException: {ex.Message}", false);
        }

        var match = states.FindLastIndex(state => Same(state, actual));
        if (match == states.Count - 1)
        {
            return ("intact", null, false);
        }

        if (match >= 0 && !closedCleanly)
        {
            return ("torn-tail", null, actual.Count == 0);
        }

        var problem = match < 0
            ? $"opened to a state the store never had ({actual.Count} entries)"
            : $"opened to the state after commit {match} of {states.Count - 1} of a cleanly closed store";
        return ("wrong", problem, actual.Count == 0);
    }

    private static async Task<Dictionary<string, string>> SnapshotAsync(StateStore store)
    {
        var snapshot = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var key in store.ListAllAsync())
        {
            var entry = await store.For(key.Scope).GetEntryAsync(key.Key);
            snapshot[key.ToString()] = $"{entry!.Version}:{entry}";
        }

        return snapshot;
    }

    private static bool Same(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var other) && e.Value == other);
}
