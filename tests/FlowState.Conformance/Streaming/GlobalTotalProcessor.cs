using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>A wrong processor: it keeps one total for every key, which no partition owns alone.</summary>
public sealed class GlobalTotalProcessor(string name) : IProcessor
{
    public string Name { get; } = name;

    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        await context.State.UpdateAsync<long>("total", total => total + messages.Count, cancellationToken: cancellationToken);
        return messages;
    }
}
