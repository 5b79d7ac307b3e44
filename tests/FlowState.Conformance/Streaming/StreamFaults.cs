using System.Diagnostics;
using FlowState.Checkpoints;
using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>
/// Where and how the stream crash harness fails: <c>kill|throw:point:n</c> fails the n-th time the point is passed, by
/// SIGKILL of the process itself or by an exception. Points: <c>process</c> (the n-th batch), <c>snapshot</c> (before a
/// state file is written), <c>manifest</c> (after a manifest was written, before the commit), <c>precommit</c> (after a
/// sink pre-committed), <c>commit</c> (after a sink committed), <c>recovery</c> (before the sink's recovery).
/// <c>none</c> never fails.
/// </summary>
public sealed class StreamFaults
{
    public static readonly string[] Points = ["process", "snapshot", "manifest", "precommit", "commit", "recovery"];
    private readonly string? _point;
    private readonly bool _kill;
    private readonly int _at;
    private int _passed;

    private StreamFaults(string? point, bool kill, int at)
    {
        _point = point;
        _kill = kill;
        _at = at;
    }

    public bool Injected { get; private set; }

    public static StreamFaults Parse(string plan)
    {
        if (plan == "none")
        {
            return new StreamFaults(null, false, 0);
        }

        var parts = plan.Split(':');
        return new StreamFaults(parts[1], parts[0] == "kill", int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Pass(string point)
    {
        if (point != _point || Interlocked.Increment(ref _passed) != _at)
        {
            return;
        }

        Injected = true;
        if (_kill)
        {
            Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }

        throw new InvalidOperationException($"injected fault at {point} #{_at}");
    }
}

/// <summary>Passes messages on after 1 ms per batch, failing at the planned batch.</summary>
public sealed class FaultingProcessor(string name, StreamFaults faults) : IProcessor
{
    public string Name { get; } = name;

    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken);
        faults.Pass("process");
        return messages;
    }
}

/// <summary>A checkpoint storage that fails before the planned state file or after the planned manifest.</summary>
public sealed class FaultingCheckpointStorage(ICheckpointStorage inner, StreamFaults faults) : DelegatingCheckpointStorage(inner)
{
    public override Task WriteDataAsync(string dataKey, string fileName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        faults.Pass("snapshot");
        return Inner.WriteDataAsync(dataKey, fileName, content, cancellationToken);
    }

    public override async Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        var written = await Inner.TryWriteManifestAsync(checkpointId, manifest, cancellationToken);
        faults.Pass("manifest");
        return written;
    }
}

/// <summary>An exactly-once sink (file, PostgreSQL) failing after the planned pre-commit or commit, or before the planned recovery.</summary>
public sealed class FaultingSink(TwoPhaseCommitSink inner, StreamFaults faults) : DelegatingTwoPhaseCommitSink(inner)
{
    protected internal override async ValueTask<string> PreCommitAsync(CancellationToken cancellationToken)
    {
        var handle = await Inner.PreCommitAsync(cancellationToken);
        faults.Pass("precommit");
        return handle;
    }

    protected internal override async ValueTask CommitAsync(string handle, CancellationToken cancellationToken)
    {
        await Inner.CommitAsync(handle, cancellationToken);
        faults.Pass("commit");
    }

    protected internal override ValueTask<long> RecoverAsync(IReadOnlyCollection<string> toCommit, CancellationToken cancellationToken)
    {
        faults.Pass("recovery");
        return Inner.RecoverAsync(toCommit, cancellationToken);
    }
}
