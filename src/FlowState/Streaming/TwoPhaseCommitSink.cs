namespace FlowState.Streaming;

/// <summary>
/// The base of exactly-once outputs. Messages between two checkpoint barriers go into one transaction (an epoch, named
/// by the id of the checkpoint that closes it); at the barrier the transaction is pre-committed (made durable but not
/// visible) and its handle stored in the checkpoint; when the checkpoint is complete it is committed. On recovery the
/// handles of the restored checkpoint are committed (again, harmlessly, if they already were) and every other
/// pending transaction of this sink is aborted — so each message is visible exactly once.
/// </summary>
public abstract class TwoPhaseCommitSink : ISink
{
    private long _epoch;
    private bool _open;

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>
    /// The name of the pipeline this sink writes for, set when the pipeline is built (null before). Sinks whose
    /// transactions live outside the pipeline's own storage (prepared transactions on a database server) name them
    /// after it, so recovering one pipeline never touches another's.
    /// </summary>
    protected internal string? PipelineName { get; private set; }

    /// <summary>
    /// Called when a pipeline is built with this sink. A wrapping sink forwards it to the sink it wraps.
    /// </summary>
    /// <exception cref="StreamDefinitionException">The sink already belongs to another pipeline.</exception>
    protected internal virtual void AttachToPipeline(string pipelineName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pipelineName);
        if (PipelineName is not null && PipelineName != pipelineName)
        {
            throw new StreamDefinitionException(
                $"Sink '{Name}' already writes for pipeline '{PipelineName}'; a two-phase-commit sink belongs to one pipeline. Create another sink for '{pipelineName}'.");
        }

        PipelineName = pipelineName;
    }

    /// <summary>Writes into the open transaction, opening the epoch's transaction first when needed.</summary>
    public async ValueTask WriteAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        if (!_open)
        {
            await BeginTransactionAsync(_epoch, cancellationToken).ConfigureAwait(false);
            _open = true;
        }

        await WriteToTransactionAsync(messages, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A two-phase-commit sink makes output visible only by committing; flushing alone does nothing.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>True while a transaction is open (messages were written since the last barrier).</summary>
    internal bool HasOpenTransaction => _open;

    /// <summary>Called by the pipeline after recovery: messages from now on belong to <paramref name="epoch"/>.</summary>
    internal void StartEpoch(long epoch) => _epoch = epoch;

    /// <summary>
    /// Pre-commits the epoch's transaction at its barrier; returns its handle, or null when it wrote nothing. Messages
    /// from now on belong to the epoch after <paramref name="closedBy"/> (the barrier's checkpoint; null: the next one),
    /// so epochs keep following checkpoint ids when a barrier of an abandoned checkpoint never reached this sink.
    /// </summary>
    internal async ValueTask<string?> PreCommitEpochAsync(CancellationToken cancellationToken, long? closedBy = null)
    {
        string? handle = null;
        if (_open)
        {
            handle = await PreCommitAsync(cancellationToken).ConfigureAwait(false);
            _open = false;
        }

        _epoch = closedBy is { } checkpointId ? Math.Max(_epoch, checkpointId) + 1 : _epoch + 1;
        return handle;
    }

    /// <summary>Aborts the open transaction, if any (the pipeline failed or stopped).</summary>
    internal async ValueTask AbortOpenAsync(CancellationToken cancellationToken)
    {
        if (_open)
        {
            _open = false;
            await AbortAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens the transaction of <paramref name="epoch"/>.</summary>
    protected internal abstract ValueTask BeginTransactionAsync(long epoch, CancellationToken cancellationToken);

    /// <summary>Writes messages into the open transaction.</summary>
    protected internal abstract ValueTask WriteToTransactionAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken);

    /// <summary>Makes the open transaction durable but not visible; returns the handle that commits it later.</summary>
    protected internal abstract ValueTask<string> PreCommitAsync(CancellationToken cancellationToken);

    /// <summary>Makes a pre-committed transaction visible. Must be idempotent: committing a committed handle does nothing.</summary>
    protected internal abstract ValueTask CommitAsync(string handle, CancellationToken cancellationToken);

    /// <summary>Discards the open (not pre-committed) transaction.</summary>
    protected internal abstract ValueTask AbortAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Removes the committed output of every epoch after <paramref name="epoch"/>: used when a pipeline is rolled back to
    /// checkpoint <paramref name="epoch"/> (<see cref="StreamPipeline.RollBackToCheckpointAsync"/>), so that the rerun
    /// of those messages does not duplicate them. Default: not supported (<see cref="CanRemoveCommittedOutput"/> is false).
    /// </summary>
    /// <returns>How many epochs' output was removed.</returns>
    /// <exception cref="NotSupportedException">This sink cannot remove output it committed.</exception>
    protected internal virtual ValueTask<int> RemoveCommittedAfterAsync(long epoch, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"Sink '{Name}' cannot remove output it committed.");

    /// <summary>True when the sink implements <see cref="RemoveCommittedAfterAsync"/>.</summary>
    protected internal virtual bool CanRemoveCommittedOutput => false;

    /// <summary>
    /// Commits <paramref name="toCommit"/> and aborts every other pending (open or pre-committed) transaction this sink
    /// left behind. Returns the highest epoch this sink has ever committed (0: none), so that new epochs continue after it.
    /// </summary>
    protected internal abstract ValueTask<long> RecoverAsync(IReadOnlyCollection<string> toCommit, CancellationToken cancellationToken);
}
