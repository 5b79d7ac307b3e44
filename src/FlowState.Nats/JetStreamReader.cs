using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FlowState.Nats;

/// <summary>
/// Reads a stream (or one subject of it) in order from a position, through an ephemeral pull consumer without
/// acknowledgements — a single filter subject, which JetStream servers before 2.10 honour (they ignore a list of them).
/// The consumer is made again when the server removed it (idle past its threshold, or the server restarted).
/// </summary>
internal sealed class JetStreamReader(NatsJSContext jetStream, string stream, string? filterSubject) : IAsyncDisposable
{
    // Long enough for a pipeline that pauses between reads; short enough that a killed process's consumer goes away.
    private static readonly TimeSpan IdleThreshold = TimeSpan.FromMinutes(5);
    private INatsJSConsumer? _consumer;

    /// <summary>The stream sequence of the last message read; 0 before the first.</summary>
    public ulong LastSequence { get; private set; }

    /// <summary>Moves to just after stream sequence <paramref name="sequence"/> (0: the beginning).</summary>
    public async ValueTask SeekAsync(ulong sequence)
    {
        LastSequence = sequence;
        await DropConsumerAsync().ConfigureAwait(false);
    }

    /// <summary>Up to <paramref name="maxMessages"/> messages after <see cref="LastSequence"/>; fewer (or none) when no more are stored now.</summary>
    public async ValueTask<List<INatsJSMsg<byte[]>>> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                _consumer ??= await jetStream.CreateOrUpdateConsumerAsync(stream, ConsumerConfig(), cancellationToken).ConfigureAwait(false);
                var messages = new List<INatsJSMsg<byte[]>>();
                await foreach (var message in _consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = maxMessages }, NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false))
                {
                    messages.Add(message);
                    LastSequence = message.Metadata?.Sequence.Stream ?? LastSequence;
                }

                return messages;
            }
            catch (NatsJSException ex) when (attempt == 0 && !(ex is NatsJSApiException { Error.Code: 404 } && _consumer is null))
            {
                // The consumer is gone (or the fetch failed with it): once more with a new one from where reading stopped.
                _consumer = null;
            }
        }
    }

    /// <summary>Every message after <see cref="LastSequence"/> that is stored now.</summary>
    public async ValueTask<List<INatsJSMsg<byte[]>>> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var all = new List<INatsJSMsg<byte[]>>();
        while (true)
        {
            var batch = await ReadAsync(1000, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return all;
            }

            all.AddRange(batch);
        }
    }

    public async ValueTask DisposeAsync() => await DropConsumerAsync().ConfigureAwait(false);

    // Named, so the client's create request has the form every 2.9+ server checks the filter of correctly.
    private ConsumerConfig ConsumerConfig() => new($"flowstate-{Guid.NewGuid():N}")
    {
        DeliverPolicy = LastSequence == 0 ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
        OptStartSeq = LastSequence == 0 ? 0 : LastSequence + 1,
        FilterSubject = filterSubject,
        AckPolicy = ConsumerConfigAckPolicy.None,
        InactiveThreshold = IdleThreshold,
        MemStorage = true,
        NumReplicas = 1,
    };

    private async ValueTask DropConsumerAsync()
    {
        if (_consumer is not { } consumer)
        {
            return;
        }

        _consumer = null;
        try
        {
            await jetStream.DeleteConsumerAsync(stream, consumer.Info.Name).ConfigureAwait(false);
        }
        catch (NatsException)
        {
            // Unreachable or already gone: the server removes an idle consumer by itself.
        }
    }
}
