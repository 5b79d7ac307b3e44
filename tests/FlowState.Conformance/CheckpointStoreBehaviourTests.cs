using System.Text.Json;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Agents.AI.Workflows.Checkpointing;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// What a JSON checkpoint store of the Agent Framework does, as its workflows rely on it: save and load, a per-session
/// index in write order, parent links, unknown ids. The same suite runs against the Agent Framework's own file store,
/// so it describes the abstraction, not FlowState's implementation of it.
/// </summary>
public abstract class CheckpointStoreBehaviourTests : IAsyncLifetime
{
    /// <summary>The store under test, fresh for each test.</summary>
    protected abstract JsonCheckpointStore Store { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task A_saved_checkpoint_loads_back_as_it_was_written()
    {
        var value = Json("""{"step":3,"state":{"f0":"value 0","nested":[1,2,{"x":null}]}}""");
        var saved = await Store.CreateCheckpointAsync("session-1", value, null);

        Assert.Equal("session-1", saved.SessionId);
        var loaded = await Store.RetrieveCheckpointAsync("session-1", saved);
        Assert.Equal(value.GetRawText(), loaded.GetRawText());
    }

    [Fact]
    public async Task The_index_lists_a_session_s_checkpoints_in_write_order_and_children_by_parent()
    {
        var a = await Store.CreateCheckpointAsync("session-1", Json("1"), null);
        var b = await Store.CreateCheckpointAsync("session-1", Json("2"), a);
        var c = await Store.CreateCheckpointAsync("session-1", Json("3"), b);
        var d = await Store.CreateCheckpointAsync("session-1", Json("4"), a);
        var other = await Store.CreateCheckpointAsync("session-2", Json("5"), null);

        Assert.Equal([a, b, c, d], await Store.RetrieveIndexAsync("session-1", null));
        Assert.Equal([b, d], await Store.RetrieveIndexAsync("session-1", a));
        Assert.Equal([c], await Store.RetrieveIndexAsync("session-1", b));
        Assert.Empty(await Store.RetrieveIndexAsync("session-1", c));
        Assert.Equal([other], await Store.RetrieveIndexAsync("session-2", null));
        Assert.Empty(await Store.RetrieveIndexAsync("session-3", null));
        Assert.Equal("4", (await Store.RetrieveCheckpointAsync("session-1", d)).GetRawText());
    }

    [Fact]
    public async Task An_unknown_checkpoint_or_one_of_another_session_is_not_found()
    {
        var saved = await Store.CreateCheckpointAsync("session-1", Json("1"), null);

        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await Store.RetrieveCheckpointAsync("session-1", new CheckpointInfo("session-1", "no-such-checkpoint")));
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await Store.RetrieveCheckpointAsync("session-2", saved));
    }

    protected static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
