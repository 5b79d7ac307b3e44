using FlowState.Streaming;
using Xunit;

namespace FlowState.Testing;

/// <summary>
/// What every two-phase-commit sink must do: nothing visible before commit, commits idempotent, recovery commits what
/// the checkpoint names and aborts every other pending transaction, and reports the highest committed epoch.
/// </summary>
public abstract class TwoPhaseCommitSinkConformanceTests : IAsyncLifetime
{
    private readonly List<TwoPhaseCommitSink> _sinks = [];

    /// <summary>A sink writing to one fresh output; every call of one test returns a sink on the same output.</summary>
    protected abstract TwoPhaseCommitSink CreateSink();

    /// <summary>The ids of the committed messages, in the sink's order.</summary>
    protected abstract Task<IReadOnlyList<string>> ReadCommittedIdsAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var sink in _sinks)
        {
            await sink.DisposeAsync();
        }
    }

    /// <summary>The pipeline the suite's sinks write for.</summary>
    protected virtual string PipelineName => "conformance";

    protected TwoPhaseCommitSink Sink()
    {
        var sink = CreateSink();
        sink.AttachToPipeline(PipelineName);
        _sinks.Add(sink);
        return sink;
    }

    private static StreamMessage[] Messages(params string[] ids) => [.. ids.Select(id => StreamMessage.Create($"k-{id}", new { id }, id: id))];

    [Fact]
    public virtual async Task Pre_committed_output_is_invisible_until_committed()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);
        await sink.WriteAsync(Messages("a", "b"), CancellationToken.None);
        var handle = await sink.PreCommitEpochAsync(CancellationToken.None);

        Assert.NotNull(handle);
        Assert.Empty(await ReadCommittedIdsAsync());

        await sink.CommitAsync(handle, CancellationToken.None);
        Assert.Equal(["a", "b"], await ReadCommittedIdsAsync());
    }

    [Fact]
    public virtual async Task A_large_batch_is_committed_whole_and_in_order()
    {
        // Several times what a sink writes at once (the file sink writes 64 KiB at a time), in two batches.
        var ids = Enumerable.Range(0, 6000).Select(i => $"message-{i:D5}-{new string('x', 40)}").ToArray();
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);
        await sink.WriteAsync(Messages(ids[..4000]), CancellationToken.None);
        await sink.WriteAsync(Messages(ids[4000..]), CancellationToken.None);
        var handle = await sink.PreCommitEpochAsync(CancellationToken.None);
        await sink.CommitAsync(handle!, CancellationToken.None);

        Assert.Equal(ids, await ReadCommittedIdsAsync());
    }

    [Fact]
    public virtual async Task Committing_a_handle_twice_changes_nothing()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);
        await sink.WriteAsync(Messages("a"), CancellationToken.None);
        var handle = (await sink.PreCommitEpochAsync(CancellationToken.None))!;

        await sink.CommitAsync(handle, CancellationToken.None);
        await sink.CommitAsync(handle, CancellationToken.None);

        Assert.Equal(["a"], await ReadCommittedIdsAsync());
    }

    [Fact]
    public virtual async Task Removing_output_after_an_epoch_keeps_that_epoch_and_the_ones_before()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);
        foreach (var ids in new[] { new[] { "a" }, ["b", "c"], ["d"] })
        {
            await sink.WriteAsync(Messages(ids), CancellationToken.None);
            await sink.CommitAsync((await sink.PreCommitEpochAsync(CancellationToken.None))!, CancellationToken.None);
        }

        Assert.True(sink.CanRemoveCommittedOutput);
        Assert.Equal(2, await sink.RemoveCommittedAfterAsync(1, CancellationToken.None));
        Assert.Equal(["a"], await ReadCommittedIdsAsync());
        Assert.Equal(0, await sink.RemoveCommittedAfterAsync(1, CancellationToken.None));
        Assert.Equal(1, await Sink().RecoverAsync([], CancellationToken.None));
    }

    [Fact]
    public virtual async Task An_epoch_that_wrote_nothing_has_no_transaction()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);

        Assert.Null(await sink.PreCommitEpochAsync(CancellationToken.None));
    }

    [Fact]
    public virtual async Task An_aborted_transaction_leaves_nothing_and_the_next_epoch_writes()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);
        await sink.WriteAsync(Messages("lost"), CancellationToken.None);
        await sink.AbortOpenAsync(CancellationToken.None);
        await sink.WriteAsync(Messages("kept"), CancellationToken.None);
        await sink.CommitAsync((await sink.PreCommitEpochAsync(CancellationToken.None))!, CancellationToken.None);

        Assert.Equal(["kept"], await ReadCommittedIdsAsync());
    }

    [Fact]
    public virtual async Task Recovery_commits_the_checkpoints_transactions_aborts_the_others_and_reports_the_highest_epoch()
    {
        var crashed = Sink();
        await crashed.RecoverAsync([], CancellationToken.None);
        crashed.StartEpoch(4);
        await crashed.WriteAsync(Messages("e4"), CancellationToken.None);
        var fourth = (await crashed.PreCommitEpochAsync(CancellationToken.None))!;
        await crashed.WriteAsync(Messages("e5"), CancellationToken.None);
        await crashed.PreCommitEpochAsync(CancellationToken.None);
        await crashed.WriteAsync(Messages("e6-open"), CancellationToken.None);

        // A restart: the latest complete checkpoint named only the fourth epoch's transaction.
        var restarted = Sink();
        var highest = await restarted.RecoverAsync([fourth], CancellationToken.None);

        Assert.Equal(4, highest);
        Assert.Equal(["e4"], await ReadCommittedIdsAsync());
        restarted.StartEpoch(5);
        await restarted.WriteAsync(Messages("e5-again"), CancellationToken.None);
        await restarted.CommitAsync((await restarted.PreCommitEpochAsync(CancellationToken.None))!, CancellationToken.None);
        Assert.Equal(["e4", "e5-again"], await ReadCommittedIdsAsync());
    }
}
