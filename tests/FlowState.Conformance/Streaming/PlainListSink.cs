using System.Collections.Concurrent;
using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>An at-least-once sink that keeps what it was given in memory.</summary>
public sealed class PlainListSink(string name) : ISink
{
    public string Name { get; } = name;

    public ConcurrentQueue<StreamMessage> Messages { get; } = new();

    public int Flushes { get; private set; }

    /// <summary>How many messages the sink had been given when it was last flushed.</summary>
    public int FlushedMessages { get; private set; }

    public ValueTask WriteAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            Messages.Enqueue(message);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        Flushes++;
        FlushedMessages = Messages.Count;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
