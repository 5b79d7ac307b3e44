using System.Threading.Channels;

namespace FlowState.Streaming;

/// <summary>
/// Sends one producer's output to its consumers: by key to the partitions of the next processor (a message without a
/// key goes by its id, one without either round-robin), or the whole batch to every sink.
/// </summary>
internal sealed class EdgeRouter(ChannelWriter<StreamEvent>[] targets, bool byKey)
{
    private int _roundRobin;

    public async ValueTask SendAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0 || targets.Length == 0)
        {
            return;
        }

        if (!byKey || targets.Length == 1)
        {
            var batch = new StreamEvent.Batch(messages);
            foreach (var target in targets)
            {
                await target.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var split = new List<StreamMessage>?[targets.Length];
        foreach (var message in messages)
        {
            var partitionKey = message.Key ?? message.Id;
            var partition = partitionKey is null
                ? (int)((uint)_roundRobin++ % (uint)targets.Length)
                : StreamPartitioner.PartitionOf(partitionKey, targets.Length);
            (split[partition] ??= new List<StreamMessage>(messages.Count / targets.Length + 8)).Add(message);
        }

        for (var i = 0; i < targets.Length; i++)
        {
            if (split[i] is { } part)
            {
                await targets[i].WriteAsync(new StreamEvent.Batch(part), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask BroadcastAsync(StreamEvent item, CancellationToken cancellationToken)
    {
        foreach (var target in targets)
        {
            await target.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Complete()
    {
        foreach (var target in targets)
        {
            target.TryComplete();
        }
    }
}
