using System.Text.Json;
using FlowState.Conformance;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FlowState.AgentFramework.Tests;

/// <summary>What FlowState's checkpoint store adds: retention, deleting a session, typed errors, DI.</summary>
public sealed class FlowStateCheckpointStoreTests : IAsyncDisposable
{
    private static readonly StateScope Sessions = StateScope.Custom("agent-framework");
    private readonly StateStore _state = new();

    public ValueTask DisposeAsync() => _state.DisposeAsync();

    [Fact]
    public async Task Retention_keeps_the_newest_checkpoints_of_each_session()
    {
        var store = new FlowStateCheckpointStore(_state.For(Sessions), new FlowStateCheckpointStoreOptions { MaxCheckpointsPerSession = 3 });
        var written = new List<CheckpointInfo>();
        CheckpointInfo? parent = null;
        for (var i = 0; i < 10; i++)
        {
            parent = await store.CreateCheckpointAsync("long-run", Json(i), parent);
            written.Add(parent);
        }

        var other = await store.CreateCheckpointAsync("short-run", Json(99), null);

        Assert.Equal(written[^3..], await store.RetrieveIndexAsync("long-run"));
        Assert.Equal([other], await store.RetrieveIndexAsync("short-run"));
        Assert.Equal("9", (await store.RetrieveCheckpointAsync("long-run", written[^1])).GetRawText());
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await store.RetrieveCheckpointAsync("long-run", written[0]));
    }

    [Fact]
    public async Task Retention_by_age_never_deletes_the_newest_checkpoint()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new FlowStateCheckpointStore(_state.For(Sessions), new FlowStateCheckpointStoreOptions { MaxAge = TimeSpan.FromHours(1), TimeProvider = clock });
        var first = await store.CreateCheckpointAsync("aging", Json(1), null);
        clock.Advance(TimeSpan.FromMinutes(30));
        var second = await store.CreateCheckpointAsync("aging", Json(2), first);
        clock.Advance(TimeSpan.FromMinutes(45));
        var third = await store.CreateCheckpointAsync("aging", Json(3), second);

        Assert.Equal([second, third], await store.RetrieveIndexAsync("aging"));

        // A workflow waiting for a day still finds the checkpoint it resumes from.
        clock.Advance(TimeSpan.FromDays(1));
        var resumedFrom = await store.CreateCheckpointAsync("aging", Json(4), third);
        Assert.Equal([resumedFrom], await store.RetrieveIndexAsync("aging"));
    }

    [Fact]
    public async Task Deleting_a_session_removes_its_checkpoints_only()
    {
        var store = new FlowStateCheckpointStore(_state.For(Sessions));
        var kept = await store.CreateCheckpointAsync("keep", Json(1), null);
        await store.CreateCheckpointAsync("drop", Json(2), null);
        await store.CreateCheckpointAsync("drop", Json(3), null);

        Assert.Equal(2, await store.DeleteSessionAsync("drop"));

        Assert.Empty(await store.RetrieveIndexAsync("drop"));
        Assert.Equal([kept], await store.RetrieveIndexAsync("keep"));
    }

    [Fact]
    public async Task A_damaged_checkpoint_is_a_typed_error_naming_it_and_hides_no_other()
    {
        var store = new FlowStateCheckpointStore(_state.For(Sessions));
        var good = await store.CreateCheckpointAsync("run-7", Json(1), null);
        var damaged = await store.CreateCheckpointAsync("run-7", Json(2), good);
        await _state.For(Sessions).Scope("run-7").SetRawAsync("checkpoint:" + damaged.CheckpointId, "\"not a checkpoint\""u8.ToArray());

        var error = await Assert.ThrowsAsync<StateCorruptedException>(async () => await store.RetrieveCheckpointAsync("run-7", damaged));
        Assert.Contains(damaged.CheckpointId, error.Message, StringComparison.Ordinal);
        Assert.Contains("run-7", error.Message, StringComparison.Ordinal);
        Assert.Equal([good, damaged], await store.RetrieveIndexAsync("run-7"));
        Assert.Equal("1", (await store.RetrieveCheckpointAsync("run-7", good)).GetRawText());
    }

    [Fact]
    public void A_checkpoint_written_as_raw_json_reads_back_as_the_serializer_wrote_it_before()
    {
        var value = JsonSerializer.SerializeToElement(new { stepNumber = 3, text = "a \"quoted\" é", nested = new[] { 1, 2 } });
        var created = new DateTimeOffset(2026, 12, 6, 9, 30, 0, TimeSpan.FromHours(1));

        var written = StoredCheckpoint.Write("parent-1", created, value);
        var read = JsonSerializer.Deserialize(written.Span, StoredCheckpointJsonContext.Default.StoredCheckpoint)!;
        var first = StoredCheckpoint.Write(null, created, value);
        var earlier = JsonSerializer.SerializeToUtf8Bytes(new StoredCheckpoint("parent-1", created, value), StoredCheckpointJsonContext.Default.StoredCheckpoint);

        Assert.Equal(("parent-1", created, value.GetRawText()), (read.Parent, read.Created, read.Value.GetRawText()));
        Assert.Equal(new StoredCheckpoint.Header("parent-1", created), StoredCheckpoint.ReadHeader(written.Span));
        Assert.Equal(new StoredCheckpoint.Header(null, created), StoredCheckpoint.ReadHeader(first.Span));
        Assert.Equal(new StoredCheckpoint.Header("parent-1", created), StoredCheckpoint.ReadHeader(earlier));
        Assert.Null(StoredCheckpoint.ReadHeader("\"not a checkpoint\""u8));
        Assert.Null(StoredCheckpoint.ReadHeader("{\"parent\":null}"u8));
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_way_out()
    {
        var store = new FlowStateCheckpointStore(_state.For(Sessions));

        var badSession = await Assert.ThrowsAsync<ArgumentException>(async () => await store.CreateCheckpointAsync("bad\nid", Json(1), null));
        Assert.Contains("cannot name a FlowState scope", badSession.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await store.CreateCheckpointAsync("run", Json(1), new CheckpointInfo("run", "missing-parent")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowStateCheckpointStore(_state.For(Sessions), new FlowStateCheckpointStoreOptions { MaxCheckpointsPerSession = 0 }));
        Assert.Empty(await store.RetrieveIndexAsync("run"));
    }

    [Fact]
    public async Task One_call_wires_a_checkpoint_manager_on_the_registered_store()
    {
        var services = new ServiceCollection();
        services.AddFlowState(flowState => flowState.AddFlowStateCheckpointStore(options => options.MaxCheckpointsPerSession = 5));
        await using var provider = services.BuildServiceProvider();

        var manager = provider.GetRequiredService<CheckpointManager>();
        var store = provider.GetRequiredService<FlowStateCheckpointStore>();
        var saved = await store.CreateCheckpointAsync("wired", Json(1), null);

        Assert.NotNull(manager);
        Assert.True(await provider.GetRequiredService<StateStore>().For(Sessions).Scope("wired").ExistsAsync("checkpoint:" + saved.CheckpointId));
    }

    [Fact]
    public async Task On_a_keyed_store_the_checkpoint_manager_is_keyed_and_writes_to_that_store()
    {
        var services = new ServiceCollection();
        services.AddFlowState();
        services.AddKeyedFlowState("agents", flowState => flowState.AddFlowStateCheckpointStore());
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredKeyedService<FlowStateCheckpointStore>("agents");
        var saved = await store.CreateCheckpointAsync("keyed", Json(1), null);

        Assert.NotNull(provider.GetRequiredKeyedService<CheckpointManager>("agents"));
        Assert.Null(provider.GetService<CheckpointManager>());
        Assert.True(await provider.GetRequiredKeyedService<StateStore>("agents").For(Sessions).Scope("keyed").ExistsAsync("checkpoint:" + saved.CheckpointId));
        Assert.False(await provider.GetRequiredService<StateStore>().For(Sessions).Scope("keyed").ExistsAsync("checkpoint:" + saved.CheckpointId));
    }

    private static JsonElement Json(int n) => JsonSerializer.SerializeToElement(n);
}
