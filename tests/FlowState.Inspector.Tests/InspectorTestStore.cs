using FlowState.Conformance;
using FlowState.Flows;
using FlowState.Sqlite;

namespace FlowState.Inspector.Tests;

/// <summary>A SQLite store with flow runs kept with their history, and the flows the tests run on it.</summary>
internal sealed class InspectorTestStore : IAsyncDisposable
{
    private InspectorTestStore(TemporaryDirectory directory, StateStore store)
    {
        Directory = directory;
        Store = store;
        Runner = NewRunner(store);
    }

    public TemporaryDirectory Directory { get; }

    public string Path => Directory.File("store.db");

    public StateStore Store { get; }

    public FlowRunner Runner { get; }

    public static FlowRunner NewRunner(StateStore store) =>
        new(store, new FlowRunnerOptions { RetainCompletedRuns = true, History = new FlowHistoryOptions() });

    public static async Task<InspectorTestStore> OpenAsync(StateStoreOptions? options = null)
    {
        var directory = new TemporaryDirectory();
        options ??= new StateStoreOptions();
        options.Backend = new SqliteStateBackend(directory.File("store.db"));
        return new InspectorTestStore(directory, await StateStore.OpenAsync(options));
    }

    /// <summary>
    /// fetch → price → check, then ship ("ok") or hold ("review"); <paramref name="gate"/>, when given, holds the
    /// price step until it completes, so that a test can look at a run in the middle.
    /// </summary>
    public static Flow Orders(Task? gate = null)
    {
        var fetch = Node.Create("fetch", async (state, _) =>
        {
            await state.SetAsync("items", new[] { 1, 2, 3 });
            await state.SetAsync("customer", "ada");
            return null;
        });
        var price = Node.Create<bool, int>(
            "price",
            prep: null,
            exec: async (_, context) =>
            {
                if (gate is not null)
                {
                    await gate.WaitAsync(context.CancellationToken);
                }

                return 6;
            },
            post: async (state, _, total, _) =>
            {
                await state.SetAsync("total", total);
                return null;
            });
        var check = Node.Create("check", async (state, _) => await state.GetAsync<int>("total") < 100 ? "ok" : "review");
        var ship = Node.Create("ship", async (state, _) =>
        {
            await state.SetAsync("shipped", true);
            await state.DeleteAsync("customer");
            return null;
        });
        var hold = Node.Create("hold", (_, _) => ValueTask.FromResult<string?>(null));
        return new FlowBuilder("orders")
            .Sequence(fetch, price, check)
            .Add(ship).Add(hold)
            .Connect(check, ship, "ok")
            .Connect(check, hold, "review")
            .Build();
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Dispose();
    }
}
