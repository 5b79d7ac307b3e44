using System.Text;
using Xunit;

namespace FlowState.Testing;

/// <summary>
/// The <see cref="IStateBackend"/> contract itself, below the store: apply, read one, scan a scope subtree, and
/// FlowState's own records. A backend's test project derives from this class.
/// </summary>
public abstract class StateBackendConformanceTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();
    private IStateBackend? _backend;

    /// <summary>A backend over <paramref name="path"/> (a file or a directory, as the backend uses it).</summary>
    protected abstract IStateBackend CreateBackend(string path);

    protected IStateBackend Backend => _backend!;

    public async Task InitializeAsync()
    {
        _backend = CreateBackend(_directory.File("backend"));
        await _backend.OpenAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        _directory.Dispose();
    }

    private static BackendEntry Entry(StateScope scope, string key, string json, long version, long expires = 0) =>
        new(scope.StorageKey, key, Encoding.UTF8.GetBytes(json), version, expires, expires == 0 ? 0 : 10, false);

    private async Task<List<string>> ScanAsync(string prefix)
    {
        var found = new List<string>();
        await foreach (var entry in Backend.ScanAsync(prefix, CancellationToken.None))
        {
            found.Add($"{StateScope.FromStorageKey(entry.ScopeKey).Path}{entry.Key}={Encoding.UTF8.GetString(entry.Value)}@{entry.Version}");
        }

        return found;
    }

    [Fact]
    public virtual async Task Get_returns_exactly_what_was_applied_or_null()
    {
        var scope = StateScope.Step("run:1", "fetch");
        await Backend.ApplyAsync([BackendChange.Upsert(Entry(scope, "cursor", """{"page":3}""", 7, expires: 123456789))], Durability.Process, CancellationToken.None);

        var entry = await Backend.GetAsync(scope.StorageKey, "cursor", CancellationToken.None);
        Assert.NotNull(entry);
        Assert.Equal(Entry(scope, "cursor", """{"page":3}""", 7, expires: 123456789) with { Value = entry!.Value }, entry);
        Assert.Equal("""{"page":3}""", Encoding.UTF8.GetString(entry.Value));
        Assert.Null(await Backend.GetAsync(scope.StorageKey, "other", CancellationToken.None));
        Assert.Null(await Backend.GetAsync(StateScope.Workflow("run:1").StorageKey, "cursor", CancellationToken.None));

        await Backend.ApplyAsync([BackendChange.Delete(scope.StorageKey, "cursor")], Durability.Machine, CancellationToken.None);
        Assert.Null(await Backend.GetAsync(scope.StorageKey, "cursor", CancellationToken.None));
    }

    [Fact]
    public virtual async Task Scan_by_scope_returns_the_subtree_in_order_and_nothing_of_siblings()
    {
        var run = StateScope.Workflow("w");
        await Backend.ApplyAsync(
        [
            BackendChange.Upsert(Entry(run, "b", "1", 1)),
            BackendChange.Upsert(Entry(run, "a", "2", 2)),
            BackendChange.Upsert(Entry(StateScope.Step("w", "s"), "k", "3", 3)),
            BackendChange.Upsert(Entry(StateScope.Workflow("ww"), "k", "4", 4)),   // a sibling whose name extends "w"
            BackendChange.Upsert(Entry(StateScope.Workflow("w/x"), "k", "5", 5)),  // a sibling with the separator in its name
            BackendChange.Upsert(Entry(StateScope.Global, "g", "6", 6)),
            BackendChange.Upsert(new BackendEntry("$flowstate/", "record", "7"u8.ToArray(), 0, 0, 0, false)),
        ],
            Durability.Process,
            CancellationToken.None);

        Assert.Equal(["workflow:w:a=2@2", "workflow:w:b=1@1", "workflow:w:step:s:k=3@3"], await ScanAsync(run.StorageKey));
        Assert.Equal(["workflow:w:step:s:k=3@3"], await ScanAsync(StateScope.Step("w", "s").StorageKey));
        Assert.Empty(await ScanAsync(StateScope.Custom("none").StorageKey));

        var all = new List<string>();
        await foreach (var entry in Backend.ScanAsync(string.Empty, CancellationToken.None))
        {
            all.Add(entry.ScopeKey + "|" + entry.Key);
        }

        Assert.Equal(7, all.Count);
        Assert.Contains("$flowstate/|record", all);
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var unused in Backend.ScanAsync("not-a-scope", CancellationToken.None))
            {
            }
        });
    }
}
