using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>Stores each message's integer value under its key, or deletes the key when the value is negative.</summary>
public sealed class KeepOrDeleteProcessor(string name) : IProcessor
{
    public string Name { get; } = name;

    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            var value = message.GetValue<int>();
            if (value < 0)
            {
                await context.State.DeleteAsync(message.Key!, cancellationToken: cancellationToken);
            }
            else
            {
                await context.State.SetAsync(message.Key!, value, cancellationToken: cancellationToken);
            }
        }

        return messages;
    }
}
