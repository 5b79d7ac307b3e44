using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>An exactly-once sink that passes every call to a real one (file, PostgreSQL); fault-injecting sinks override what they break.</summary>
public abstract class DelegatingTwoPhaseCommitSink(TwoPhaseCommitSink inner) : TwoPhaseCommitSink
{
    protected TwoPhaseCommitSink Inner { get; } = inner;

    public override string Name => Inner.Name;

    protected internal override void AttachToPipeline(string pipelineName)
    {
        base.AttachToPipeline(pipelineName);
        Inner.AttachToPipeline(pipelineName);
    }

    protected internal override ValueTask BeginTransactionAsync(long epoch, CancellationToken cancellationToken) => Inner.BeginTransactionAsync(epoch, cancellationToken);

    protected internal override ValueTask WriteToTransactionAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken) =>
        Inner.WriteToTransactionAsync(messages, cancellationToken);

    protected internal override ValueTask<string> PreCommitAsync(CancellationToken cancellationToken) => Inner.PreCommitAsync(cancellationToken);

    protected internal override ValueTask CommitAsync(string handle, CancellationToken cancellationToken) => Inner.CommitAsync(handle, cancellationToken);

    protected internal override ValueTask AbortAsync(CancellationToken cancellationToken) => Inner.AbortAsync(cancellationToken);

    protected internal override ValueTask<long> RecoverAsync(IReadOnlyCollection<string> toCommit, CancellationToken cancellationToken) =>
        Inner.RecoverAsync(toCommit, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await Inner.DisposeAsync();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
