using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FlowState.Testing;

/// <summary>Helpers shared by the conformance suites: store creation with a fake clock, disposal, listing.</summary>
public abstract class ConformanceTestBase : IAsyncLifetime
{
    private readonly List<StateStore> _stores = [];
    private TemporaryDirectory? _directory;
    private int _storages;

    /// <summary>A fake clock every store made by <see cref="NewStore"/> uses, so TTL tests never sleep.</summary>
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        _directory?.Dispose();
    }

    /// <summary>A new path (file or directory, not created) in a temporary directory removed after the test.</summary>
    protected string NewStoragePath(string name = "store") => (_directory ??= new TemporaryDirectory()).File($"{name}-{Interlocked.Increment(ref _storages)}");

    /// <summary>Opens a store on the backend <paramref name="options"/> name (test constructors and factories are synchronous).</summary>
    protected static StateStore Open(StateStoreOptions options) => StateStore.OpenAsync(options).GetAwaiter().GetResult();

    /// <summary>Creates the store under test with the given options (a backend adds its storage).</summary>
    protected abstract StateStore CreateStore(StateStoreOptions options);

    protected StateStore NewStore(Action<StateStoreOptions>? configure = null)
    {
        var options = new StateStoreOptions { TimeProvider = Clock };
        configure?.Invoke(options);
        var store = CreateStore(options);
        _stores.Add(store);
        return store;
    }

    protected internal static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>The first <paramref name="count"/> changes of a watch, failing after 10 s.</summary>
    protected internal static async Task<List<StateChange>> TakeAsync(IAsyncEnumerable<StateChange> changes, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var list = new List<StateChange>();
        await foreach (var change in changes.WithCancellation(timeout.Token))
        {
            list.Add(change);
            if (list.Count == count)
            {
                break;
            }
        }

        return list;
    }

    protected static string Json(StateEntry? entry) => entry?.ToString() ?? "<missing>";
}
