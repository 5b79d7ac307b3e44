using Xunit;

namespace FlowState.Testing;

// History is stored with the entries: it survives a reopen and follows the configured depth.
public abstract partial class DurableStateStoreConformanceTests
{
    private Task<StateStore> OpenWithHistoryAsync(string storage, int? depth)
    {
        var options = new StateStoreOptions { Backend = CreateBackend(storage), TimeProvider = Clock };
        if (depth is { } n)
        {
            options.History[StateScope.Workflow("audited")] = n;
        }

        return StateStore.OpenAsync(options);
    }

    [Fact]
    public virtual async Task History_survives_a_reopen_and_follows_the_configured_depth()
    {
        await using (var store = await OpenWithHistoryAsync("history", 3))
        {
            var audited = store.For(StateScope.Workflow("audited"));
            for (var i = 1; i <= 4; i++)
            {
                Clock.Advance(TimeSpan.FromMinutes(1));
                await audited.SetAsync("status", "step-" + i);
            }
        }

        await using (var reopened = await OpenWithHistoryAsync("history", 3))
        {
            var history = await reopened.For(StateScope.Workflow("audited")).GetHistoryAsync("status");
            Assert.Equal(["step-4", "step-3", "step-2"], history.Select(h => h.As<string>()));
            Assert.Equal(Clock.GetUtcNow(), history[0].ChangedAt);
            await reopened.For(StateScope.Workflow("audited")).SetAsync("status", "step-5");
        }

        await using (var shallower = await OpenWithHistoryAsync("history", 2))
        {
            Assert.Equal(["step-5", "step-4"], (await shallower.For(StateScope.Workflow("audited")).GetHistoryAsync("status")).Select(h => h.As<string>()));
        }

        await using (var deeperAgain = await OpenWithHistoryAsync("history", 3))
        {
            // What the shallower store trimmed is gone for good.
            Assert.Equal(2, (await deeperAgain.For(StateScope.Workflow("audited")).GetHistoryAsync("status")).Count);
        }

        await using (var off = await OpenWithHistoryAsync("history", null))
        {
            Assert.Empty(await off.For(StateScope.Workflow("audited")).GetHistoryAsync("status"));
            Assert.Equal("step-5", await off.For(StateScope.Workflow("audited")).GetAsync<string>("status"));
        }

        await using var onAgain = await OpenWithHistoryAsync("history", 3);
        Assert.Empty(await onAgain.For(StateScope.Workflow("audited")).GetHistoryAsync("status"));
    }
}
