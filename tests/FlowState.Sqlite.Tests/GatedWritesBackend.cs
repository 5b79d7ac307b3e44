using System.Threading.Channels;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// A real backend whose writes, while <see cref="Holding"/>, each wait at a gate of their own until
/// <see cref="ReleaseNext"/> opens it: the test sees which writes (backend transactions) the store makes, and what its
/// writers do, while a given one has not been written yet. Reads pass through.
/// </summary>
internal sealed class GatedWritesBackend(IStateBackend inner) : DelegatingStateBackend(inner)
{
    private readonly Channel<(IReadOnlyList<BackendChange> Changes, TaskCompletionSource Gate)> _arrived = Channel.CreateUnbounded<(IReadOnlyList<BackendChange>, TaskCompletionSource)>();
    private readonly Queue<TaskCompletionSource> _gates = new();
    private volatile bool _holding;

    /// <summary>Whether writes wait at their gates (set by the test, read by the store's flusher).</summary>
    public bool Holding
    {
        get => _holding;
        set => _holding = value;
    }

    /// <summary>Waits for the next held write to reach its gate; returns the keys it writes.</summary>
    public async Task<string[]> NextHeldAsync(TimeSpan timeout)
    {
        var (changes, gate) = await _arrived.Reader.ReadAsync().AsTask().WaitAsync(timeout);
        lock (_gates)
        {
            _gates.Enqueue(gate);
        }

        return changes.Select(c => c.Key).ToArray();
    }

    /// <summary>Opens the gate of the oldest held write <see cref="NextHeldAsync"/> returned.</summary>
    public void ReleaseNext()
    {
        lock (_gates)
        {
            _gates.Dequeue().SetResult();
        }
    }

    public override async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        if (Holding)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _arrived.Writer.TryWrite((changes.ToArray(), gate));
            await gate.Task.WaitAsync(cancellationToken);
        }

        await base.ApplyAsync(changes, durability, cancellationToken);
    }
}
