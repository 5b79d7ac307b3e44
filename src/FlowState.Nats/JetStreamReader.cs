using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FlowState.Nats;

/// <summary>
/// Reads a stream (or one subject of it) in order from a position — a single filter subject, which JetStream servers
/// before 2.10 honour (they ignore a list of them). Without a durable name it reads through an ephemeral pull consumer
/// without acknowledgements, made again when the server removed it (idle past its threshold, or the server restarted).
/// With one it reads through that durable consumer (acknowledged by the caller: one "ack all" covers everything before a
/// position, except on a work-queue stream, which takes one acknowledgement per message).
/// </summary>
internal sealed class JetStreamReader(NatsJSContext jetStream, string stream, string? filterSubject, JetStreamDurableConsumer? durable = null) : IAsyncDisposable
{
    // Long enough for a pipeline that pauses between reads; short enough that a killed process's consumer goes away.
    private static readonly TimeSpan IdleThreshold = TimeSpan.FromMinutes(5);
    private INatsJSConsumer? _consumer;
    private ulong _consumerSequence;

    /// <summary>True when every message read through the durable consumer is acknowledged on its own (a work-queue stream); false when one acknowledgement covers everything before it.</summary>
    public bool AcknowledgesEach { get; private set; }

    /// <summary>Messages the last <see cref="ReadAsync"/> received through the durable consumer and left out, as read before.</summary>
    public List<INatsJSMsg<byte[]>> Skipped { get; } = [];

    /// <summary>The stream sequence of the last message read; 0 before the first.</summary>
    public ulong LastSequence { get; private set; }

    /// <summary>
    /// Moves to just after stream sequence <paramref name="sequence"/> (0: the beginning; null: where the durable
    /// consumer's acknowledgements reached, or the beginning without one). A durable consumer is made again there.
    /// </summary>
    public async ValueTask SeekAsync(ulong? sequence, CancellationToken cancellationToken = default)
    {
        await DropConsumerAsync().ConfigureAwait(false);
        if (durable is null)
        {
            LastSequence = sequence ?? 0;
            return;
        }

        // The durable consumer is replaced rather than reused: it may hold deliveries of another process that read this
        // subject before (unacknowledged, so redelivered only after their wait, and out of order), while the position to
        // go on from is the caller's. Deleting first keeps a work-queue stream's rule of one consumer per subject.
        var info = await jetStream.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        switch (info.Info.Config.Retention)
        {
            case StreamConfigRetention.Interest:
                throw new NatsJSException(
                    $"stream '{stream}' keeps messages while consumers are interested, and a durable consumer made again at a checkpoint's position would let the messages between go; read it without a durable consumer, or use limits or work-queue retention");
            case StreamConfigRetention.Workqueue:
                // A work-queue stream takes only explicit acknowledgements: one per message.
                AcknowledgesEach = true;
                break;
            default:
                AcknowledgesEach = false;
                break;
        }

        ulong acknowledged = 0;
        try
        {
            var existing = await jetStream.GetConsumerAsync(stream, durable.Name, cancellationToken).ConfigureAwait(false);
            acknowledged = existing.Info.AckFloor?.StreamSeq ?? 0;
            await jetStream.DeleteConsumerAsync(stream, durable.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404 && ex.Error.ErrCode == 10014)
        {
            // No such consumer yet (10014: consumer not found; 10059, stream not found, is the caller's error).
        }

        LastSequence = sequence ?? acknowledged;
        _consumer = await jetStream.CreateOrUpdateConsumerAsync(stream, ConsumerConfig(), cancellationToken).ConfigureAwait(false);
        _consumerSequence = 0;
    }

    /// <summary>Up to <paramref name="maxMessages"/> messages after <see cref="LastSequence"/>; fewer (or none) when no more are stored now.</summary>
    /// <exception cref="JetStreamConsumerTakenException">The durable consumer was deleted or replaced, or another client read from it.</exception>
    public async ValueTask<List<INatsJSMsg<byte[]>>> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (_consumer is null && durable is not null)
                {
                    await SeekAsync(LastSequence == 0 ? null : LastSequence, cancellationToken).ConfigureAwait(false);
                }

                _consumer ??= await jetStream.CreateOrUpdateConsumerAsync(stream, ConsumerConfig(), cancellationToken).ConfigureAwait(false);
                var messages = new List<INatsJSMsg<byte[]>>();
                Skipped.Clear();
                await foreach (var message in _consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = maxMessages }, NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false))
                {
                    var sequence = message.Metadata?.Sequence ?? throw new NatsJSException($"A message of stream '{stream}' came without its JetStream metadata.");
                    if (durable is not null)
                    {
                        CheckDeliveredInTurn(sequence.Consumer);
                        if (sequence.Stream <= LastSequence)
                        {
                            // Read already: delivered again after its acknowledgement wait (a checkpoint slower than
                            // AckWait), or before the position on a work-queue stream. Acknowledged with what follows.
                            Skipped.Add(message);
                            continue;
                        }
                    }

                    messages.Add(message);
                    LastSequence = sequence.Stream;
                }

                return messages;
            }
            catch (NatsJSApiException ex) when (durable is not null && ex.Error.Code == 404)
            {
                throw new JetStreamConsumerTakenException($"the durable consumer '{durable.Name}' of stream '{stream}' is gone ({ex.Error.Description})", ex);
            }
            catch (NatsJSException ex) when (durable is null && attempt == 0 && !(ex is NatsJSApiException { Error.Code: 404 } && _consumer is null))
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

    public async ValueTask DisposeAsync()
    {
        if (durable is null)
        {
            await DropConsumerAsync().ConfigureAwait(false);
        }
    }

    // One reader per durable consumer: a delivery number skipped means another client took that delivery, or the
    // consumer was replaced under this reader (its numbering starts again) — another process owns the subject now.
    private void CheckDeliveredInTurn(ulong consumerSequence)
    {
        if (consumerSequence != _consumerSequence + 1)
        {
            throw new JetStreamConsumerTakenException(string.Create(
                CultureInfo.InvariantCulture,
                $"the durable consumer '{durable!.Name}' of stream '{stream}' delivered number {consumerSequence} after {_consumerSequence}: another client reads from it, or it was made again"));
        }

        _consumerSequence = consumerSequence;
    }

    // Named, so the client's create request has the form every 2.9+ server checks the filter of correctly.
    private ConsumerConfig ConsumerConfig() => durable is null
        ? new($"flowstate-{Guid.NewGuid():N}")
        {
            DeliverPolicy = LastSequence == 0 ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = LastSequence == 0 ? 0 : LastSequence + 1,
            FilterSubject = filterSubject,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = IdleThreshold,
            MemStorage = true,
            NumReplicas = 1,
        }
        : new(durable.Name)
        {
            // A work-queue stream delivers from its first unacknowledged message (it takes no other start): what comes
            // before the position again is skipped and acknowledged.
            DurableName = durable.Name,
            DeliverPolicy = LastSequence == 0 || AcknowledgesEach ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = LastSequence == 0 || AcknowledgesEach ? 0 : LastSequence + 1,
            FilterSubject = filterSubject,
            AckPolicy = AcknowledgesEach ? ConsumerConfigAckPolicy.Explicit : ConsumerConfigAckPolicy.All,
            AckWait = durable.AckWait,
            MaxAckPending = -1,
        };

    private async ValueTask DropConsumerAsync()
    {
        if (_consumer is not { } consumer)
        {
            return;
        }

        _consumer = null;
        if (durable is not null)
        {
            return;
        }

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
