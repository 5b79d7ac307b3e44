using System.Globalization;
using FlowState.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FlowState.Nats;

/// <summary>
/// Publishes to JetStream with many acknowledgements outstanding and waits for all of them on demand: what the sinks
/// use to stage, copy and publish. Each message is handed to the connection before the next one (the client's
/// concurrent publish), so JetStream stores them in the order published; concurrent plain publishes may overtake each
/// other. A failed acknowledgement becomes a <see cref="StreamException"/> naming the sink.
/// </summary>
internal sealed class JetStreamPublisher(NatsJSContext jetStream, string sinkName, bool duplicatesExpected)
{
    /// <summary>The header a message's id travels in.</summary>
    public const string IdHeader = "FlowState-Id";

    /// <summary>The header a message's epoch travels in (exactly-once output only).</summary>
    public const string EpochHeader = "FlowState-Epoch";

    // Acknowledgements awaited together: enough to keep the connection busy, few enough to bound what is in flight.
    private const int Window = 512;

    private readonly List<NatsJSPublishConcurrentFuture> _inFlight = [];
    private string? _subject;

    /// <summary>Refuses a subject that cannot be published to.</summary>
    /// <exception cref="ArgumentException">The subject is empty or has wildcards or spaces.</exception>
    public static void ValidateSubject(string subject)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        if (SubjectProblem(subject) is { } problem)
        {
            throw new ArgumentException(problem, nameof(subject));
        }
    }

    /// <summary>Why <paramref name="subject"/> cannot be published to; null when it can.</summary>
    public static string? SubjectProblem(string subject) =>
        subject.Contains('*', StringComparison.Ordinal) || subject.Contains('>', StringComparison.Ordinal) || subject.Any(char.IsWhiteSpace)
            ? $"the subject '{subject}' must be a plain subject to publish to (no wildcards or spaces)"
            : null;

    /// <summary>The headers of an output message: its epoch (exactly-once output), id and key.</summary>
    public static NatsHeaders HeadersOf(StreamMessage message, string? keyHeader, long? epoch)
    {
        var headers = new NatsHeaders();
        if (epoch is { } value)
        {
            headers[EpochHeader] = value.ToString(CultureInfo.InvariantCulture);
        }

        if (message.Id is { } id)
        {
            headers[IdHeader] = id;
        }

        if (keyHeader is not null && message.Key is { } key)
        {
            headers[keyHeader] = key;
        }

        return headers;
    }

    /// <summary>Starts publishing; waits for the acknowledgements once a window of them is outstanding.</summary>
    public async ValueTask PublishAsync(string subject, byte[] payload, NatsHeaders headers, string? msgId, CancellationToken cancellationToken)
    {
        _subject = subject;
        try
        {
            _inFlight.Add(await jetStream.PublishConcurrentAsync(subject, payload, NatsRawSerializer<byte[]>.Default, new NatsJSPubOpts { MsgId = msgId }, headers, cancellationToken).ConfigureAwait(false));
        }
        catch (NatsException ex)
        {
            throw new StreamException($"Sink '{sinkName}' cannot publish to JetStream: {ex.Message}", ex);
        }

        if (_inFlight.Count >= Window)
        {
            await AwaitAllAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Returns once JetStream acknowledged (stored) everything published so far.</summary>
    /// <exception cref="StreamException">A message was refused, no stream captures the subject, or the server is unreachable.</exception>
    public async ValueTask AwaitAllAsync()
    {
        try
        {
            foreach (var publish in _inFlight)
            {
                try
                {
                    (await publish.GetResponseAsync().ConfigureAwait(false)).EnsureSuccess();
                }
                catch (NatsJSDuplicateMessageException) when (duplicatesExpected)
                {
                    // A repeated copy: it had arrived before, and JetStream kept the first one.
                }
            }
        }
        catch (NatsJSPublishNoResponseException ex)
        {
            throw new StreamException($"Sink '{sinkName}': no JetStream stream captures the subject it publishes to ({ex.Message}). Create a stream for '{_subject}' (and check the server runs with JetStream enabled).", ex);
        }
        catch (NatsException ex)
        {
            throw new StreamException($"Sink '{sinkName}' cannot publish to JetStream: {ex.Message}", ex);
        }
        finally
        {
            await DisposeFuturesAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits out what is in flight, ignoring failures (the pipeline stopped), so that a purge sent after it finds every
    /// message that will ever be stored.
    /// </summary>
    public async ValueTask DiscardAsync()
    {
        foreach (var publish in _inFlight)
        {
            try
            {
                await publish.GetResponseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                // Being discarded anyway: failed or cancelled with the pipeline that stopped.
            }
        }

        await DisposeFuturesAsync().ConfigureAwait(false);
    }

    private async ValueTask DisposeFuturesAsync()
    {
        foreach (var publish in _inFlight)
        {
            try
            {
                await publish.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                // Its outcome was read or no longer matters; only the subscription is being released.
            }
        }

        _inFlight.Clear();
    }
}
