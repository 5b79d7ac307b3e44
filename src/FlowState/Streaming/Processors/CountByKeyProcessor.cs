using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// Counts messages per key in keyed state and emits, for each message, <c>{"key":…,"count":n,"id":…}</c> — the
/// message's key, how many messages of that key were counted so far (this one included) and the message's id.
/// </summary>
public sealed class CountByKeyProcessor(string name) : IProcessor
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(context);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using var values = new JsonValueBatch(messages.Count);
        foreach (var message in messages)
        {
            var key = message.Key ?? throw new StreamException(
                $"Processor '{Name}' counts per key, and message '{message.Id ?? "(no id)"}' has no key; give its source a key field.");
            if (!counts.TryGetValue(key, out var count))
            {
                count = await context.State.GetAsync<long>(key, cancellationToken).ConfigureAwait(false);
            }

            counts[key] = ++count;
            JsonSerializer.Serialize(values.Writer, new CountUpdate(key, count, message.Id), StreamJsonContext.Default.CountUpdate);
            values.Next();
        }

        values.Complete();
        var output = new StreamMessage[messages.Count];
        for (var i = 0; i < output.Length; i++)
        {
            var message = messages[i];
            output[i] = new StreamMessage(message.Key, values[i], message.Id, message.Timestamp);
        }

        var batch = context.State.CreateBatch();
        foreach (var (key, count) in counts)
        {
            batch.Set(key, count);
        }

        await context.State.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        return output;
    }
}
