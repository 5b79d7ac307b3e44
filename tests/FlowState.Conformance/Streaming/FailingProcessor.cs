using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// Passes messages on after waiting <paramref name="delayPerBatch"/> (so that checkpoints happen meanwhile), and throws
/// once more than <paramref name="failAfterMessages"/> messages were seen in total.
/// </summary>
public sealed class FailingProcessor(string name, long failAfterMessages = long.MaxValue, TimeSpan delayPerBatch = default) : IProcessor
{
    private long _seen;

    public string Name { get; } = name;

    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        if (delayPerBatch > TimeSpan.Zero)
        {
            await Task.Delay(delayPerBatch, cancellationToken);
        }

        if (Interlocked.Add(ref _seen, messages.Count) > failAfterMessages)
        {
            throw new InvalidOperationException($"injected failure after {failAfterMessages} messages");
        }

        return messages;
    }
}
