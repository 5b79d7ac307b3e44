using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// Passes messages on after waiting <paramref name="delayPerBatch"/> (so that checkpoints happen meanwhile), and throws
/// once more than <paramref name="failAfterMessages"/> messages were seen in total, or once armed.
/// </summary>
public sealed class FailingProcessor(string name, long failAfterMessages = long.MaxValue, TimeSpan delayPerBatch = default) : IProcessor
{
    private long _seen;
    private volatile bool _armed;

    public string Name { get; } = name;

    /// <summary>Makes the next batch fail.</summary>
    public void Arm() => _armed = true;

    /// <summary>Lets batches through again.</summary>
    public void Disarm() => _armed = false;

    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        if (delayPerBatch > TimeSpan.Zero)
        {
            await Task.Delay(delayPerBatch, cancellationToken);
        }

        if (Interlocked.Add(ref _seen, messages.Count) > failAfterMessages || _armed)
        {
            throw new InvalidOperationException($"injected failure after {failAfterMessages} messages");
        }

        return messages;
    }
}
