using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using StackExchange.Redis;

namespace FlowState.Redis;

/// <summary>
/// The change feed of a Redis store that keeps a change stream: changes arrive by pub/sub, each numbered by the commit
/// script (<c>#n</c>, one number per change, without gaps) and also appended to a bounded Redis Stream under id
/// <c>0-n</c>. A number that skips ahead, or the connection coming back, makes the feed read what it missed from the
/// stream, in order, before going on; it ends with <see cref="StateBackendException"/> when the stream no longer holds
/// what was missed, when the server's numbering went back (it lost acknowledged changes), or when the connection does
/// not come back within the reconnect timeout.
/// </summary>
/// <remarks>
/// The client says the connection is back before its subscription is renewed on the server, so a change published in
/// between reaches nobody and, the catch-up on reconnecting having come before it, would be read only with the next
/// change. After a reconnect the feed therefore publishes a probe of its own until the probe comes back by pub/sub —
/// the subscription is live from then — and catches up once more.
/// </remarks>
internal sealed class RedisChangeFeed : IDisposable
{
    private const int CatchUpBatch = 1000;
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly IConnectionMultiplexer _connection;
    private readonly RedisChannel _channel;
    private readonly RedisKey _stream;
    private readonly RedisKey _sequence;
    private readonly RedisKey _epoch;
    private readonly string _prefix;
    private readonly int _retention;
    private readonly TimeSpan _reconnectTimeout;
    private readonly ResiliencePipeline _reads;
    private readonly ILogger _logger;
    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _deadlineGate = new();
    private CancellationTokenSource? _deadline;
    private CancellationTokenSource? _probing;
    private byte[]? _probe;
    private string? _downReason;
    private long _delivered;
    private RedisValue _epochSeen;

    public RedisChangeFeed(
        IConnectionMultiplexer connection, RedisChannel channel, RedisKey stream, RedisKey sequence, string prefix, int retention, TimeSpan reconnectTimeout, ResiliencePipeline reads, ILogger logger)
    {
        (_connection, _channel, _stream, _sequence, _prefix, _retention, _reconnectTimeout, _reads, _logger) =
            (connection, channel, stream, sequence, prefix, retention, reconnectTimeout, reads, logger);
        _epoch = $"{(string)sequence!}:epoch";
    }

    private enum ArrivalKind
    {
        Message,
        Restored,
        Lost,
        Unconfirmed,
    }

    /// <summary>Subscribes and returns the feed: every change committed from here on, in order.</summary>
    public async Task<IAsyncEnumerable<SharedChangeNotice>> StartAsync(CancellationToken cancellationToken)
    {
        // The server's data is marked once: a server that comes back without the mark lost what it held (no persistence),
        // so numbers it hands out again must not pass for ones already delivered.
        var database = _connection.GetDatabase();
        await database.StringSetAsync(_epoch, Guid.NewGuid().ToString("N"), when: When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
        _epochSeen = await database.StringGetAsync(_epoch).WaitAsync(cancellationToken).ConfigureAwait(false);

        // The number before subscribing: a change committed between the two shows up as a gap and is read from the stream.
        _delivered = (long)await database.StringGetAsync(_sequence).WaitAsync(cancellationToken).ConfigureAwait(false);
        var queue = await _connection.GetSubscriber().SubscribeAsync(_channel).WaitAsync(cancellationToken).ConfigureAwait(false);
        queue.OnMessage(message => _arrivals.Writer.TryWrite(new Arrival(ArrivalKind.Message, (byte[])message.Message!)));
        _connection.ConnectionFailed += OnConnectionFailed;
        _connection.ConnectionRestored += OnConnectionRestored;
        return ReadAsync(queue, cancellationToken);
    }

    private async IAsyncEnumerable<SharedChangeNotice> ReadAsync(ChannelMessageQueue queue, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var arrival in _arrivals.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (arrival.Kind == ArrivalKind.Lost)
                {
                    throw new StateBackendException(string.Create(CultureInfo.InvariantCulture,
                        $"Redis store '{_prefix}' lost its change feed: the connection ({_downReason}) did not come back within {_reconnectTimeout.TotalSeconds:0.#} s. Open the store again once the server is back, read the state again and watch again."));
                }

                if (arrival.Kind == ArrivalKind.Unconfirmed)
                {
                    throw new StateBackendException(string.Create(CultureInfo.InvariantCulture,
                        $"Redis store '{_prefix}' reconnected, but its change subscription did not come back within {_reconnectTimeout.TotalSeconds:0.#} s (its probe never arrived by pub/sub). Open the store again, read the state again and watch again."));
                }

                if (arrival.Kind == ArrivalKind.Restored)
                {
                    StartProbing(cancellationToken);
                }

                if (arrival.Kind == ArrivalKind.Restored || IsProbe(arrival.Message!))
                {
                    foreach (var missed in await CatchUpAsync(null, cancellationToken).ConfigureAwait(false))
                    {
                        yield return missed;
                    }

                    continue;
                }

                var (sequence, notice) = Parse(arrival.Message!);
                if (notice is null || (sequence is { } seen && seen <= _delivered))
                {
                    continue; // not a notice, or delivered already (by a catch-up)
                }

                if (sequence is { } number && number > _delivered + 1)
                {
                    foreach (var missed in await CatchUpAsync(number - 1, cancellationToken).ConfigureAwait(false))
                    {
                        yield return missed;
                    }
                }

                _delivered = sequence ?? _delivered;
                yield return notice;
            }
        }
        finally
        {
            _connection.ConnectionFailed -= OnConnectionFailed;
            _connection.ConnectionRestored -= OnConnectionRestored;
            StopProbing();
            Dispose();
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // The connection is gone: there is no subscription left to end.
            }
        }
    }

    /// <summary>Stops the reconnect deadline (the feed's reading ends with it).</summary>
    public void Dispose()
    {
        lock (_deadlineGate)
        {
            _deadline?.Dispose();
            _deadline = null;
        }
    }

    /// <summary>Publishes a new probe every <see cref="ProbeInterval"/> until it comes back, or until it has been connected for the reconnect timeout without that.</summary>
    private void StartProbing(CancellationToken cancellationToken)
    {
        StopProbing();
        var probe = Encoding.UTF8.GetBytes($"?{Guid.NewGuid():N}");
        var probing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        (_probe, _probing) = (probe, probing);
        _ = ProbeAsync(probe, probing.Token);
    }

    private async Task ProbeAsync(byte[] probe, CancellationToken cancellationToken)
    {
        var subscriber = _connection.GetSubscriber();
        try
        {
            // Only time connected counts: while the connection is down again, its own deadline decides.
            for (var waited = TimeSpan.Zero; waited < _reconnectTimeout; waited += Connected() ? ProbeInterval : TimeSpan.Zero)
            {
                try
                {
                    await subscriber.PublishAsync(_channel, probe, CommandFlags.FireAndForget).ConfigureAwait(false);
                }
                catch (RedisException)
                {
                    // Down again: the next probe goes once it is back.
                }

                await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
            }

            _arrivals.Writer.TryWrite(new Arrival(ArrivalKind.Unconfirmed, null));
        }
        catch (OperationCanceledException)
        {
            // The probe came back, a newer one replaced it, or the feed ended.
        }
    }

    /// <summary>Whether <paramref name="message"/> is the feed's own probe: the subscription is live, and probing stops.</summary>
    private bool IsProbe(byte[] message)
    {
        if (_probe is not { } probe || !message.AsSpan().SequenceEqual(probe))
        {
            return false;
        }

        StopProbing();
        return true;
    }

    private void StopProbing()
    {
        _probing?.Cancel();
        _probing?.Dispose();
        (_probe, _probing) = (null, null);
    }

    /// <summary>Reads the changes after the last one delivered from the stream, through <paramref name="through"/> (null: all).</summary>
    private async Task<List<SharedChangeNotice>> CatchUpAsync(long? through, CancellationToken cancellationToken)
    {
        var missed = new List<SharedChangeNotice>();
        var epoch = await _reads.ExecuteAsync(
            async token => await _connection.GetDatabase().StringGetAsync(_epoch).WaitAsync(token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        if (epoch != _epochSeen)
        {
            throw new StateBackendException(
                $"Redis store '{_prefix}' lost the data its change feed followed: the server came back without it (restarted without persistence, or flushed). Read the state again and watch again.");
        }

        while (through is null || _delivered < through)
        {
            // The numbering first: every change numbered up to it is in the stream by then, unless trimmed; changes
            // committed after it are not missing when the range comes back without them.
            var current = (long)await _reads.ExecuteAsync(
                async token => await _connection.GetDatabase().StringGetAsync(_sequence).WaitAsync(token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            var from = _delivered + 1;
            var entries = await _reads.ExecuteAsync(
                async token => await _connection.GetDatabase().StreamRangeAsync(_stream, $"0-{from}", "+", CatchUpBatch).WaitAsync(token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            if (entries.Length == 0)
            {
                if (current < _delivered)
                {
                    throw new StateBackendException(string.Create(CultureInfo.InvariantCulture,
                        $"The change numbering of Redis store '{_prefix}' went back from {_delivered} to {current}: the server lost changes it had acknowledged (restarted without persistence?). Read the state again and watch again."));
                }

                if (current > _delivered)
                {
                    throw FellBehind(null);
                }

                break;
            }

            foreach (var entry in entries)
            {
                var sequence = long.Parse(((string)entry.Id!).AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture);
                if (sequence != _delivered + 1)
                {
                    throw FellBehind(sequence);
                }

                _delivered = sequence;
                if (SharedChangeNotice.Parse(Encoding.UTF8.GetString((byte[])entry["c"]!)) is { } notice)
                {
                    missed.Add(notice);
                }

                if (through is { } last && _delivered >= last)
                {
                    break;
                }
            }

            if (entries.Length < CatchUpBatch && through is null)
            {
                break;
            }
        }

        if (missed.Count > 0)
        {
            RedisLog.FeedCaughtUp(_logger, _prefix, missed.Count, _delivered);
        }

        return missed;
    }

    private StateBackendException FellBehind(long? oldest) => new(string.Create(CultureInfo.InvariantCulture,
        $"The change feed of Redis store '{_prefix}' fell too far behind while its connection was down: it had delivered change {_delivered}, and the stream keeps only changes from {(oldest is { } first ? first.ToString(CultureInfo.InvariantCulture) : "later ones")} (ChangeRetention {_retention}). Raise ChangeRetention or reconnect sooner, then read the state again and watch again."));

    /// <summary>Splits the change number off a published notice (<c>#n</c> on its first line; none from a writer without a stream).</summary>
    private static (long? Sequence, SharedChangeNotice? Notice) Parse(byte[] message)
    {
        var text = Encoding.UTF8.GetString(message);
        if (!text.StartsWith('#'))
        {
            return (null, SharedChangeNotice.Parse(text));
        }

        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end > 1 && long.TryParse(text.AsSpan(1, end - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? (sequence, SharedChangeNotice.Parse(text[(end + 1)..]))
            : (null, null);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        lock (_deadlineGate)
        {
            _downReason = $"{e.FailureType} on {e.EndPoint}";
            if (_deadline is null)
            {
                var deadline = new CancellationTokenSource(_reconnectTimeout);
                deadline.Token.Register(() => OnDeadline(deadline));
                _deadline = deadline;
            }
        }
    }

    /// <summary>
    /// The connection's state decides at the deadline, not the events: the client raises its failed and restored events
    /// on pool threads, so a restore can be handled before the failure it ends, leaving a deadline with nothing down.
    /// </summary>
    private void OnDeadline(CancellationTokenSource deadline)
    {
        if (!Connected())
        {
            _arrivals.Writer.TryWrite(new Arrival(ArrivalKind.Lost, null));
            return;
        }

        lock (_deadlineGate)
        {
            if (ReferenceEquals(_deadline, deadline))
            {
                _deadline = null; // fired already: its timer is gone, and disposing it inside its own callback is not wanted
            }
        }
    }

    private bool Connected() => _connection.IsConnected && _connection.GetSubscriber().IsConnected(_channel);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        lock (_deadlineGate)
        {
            if (_deadline is { } deadline && Connected())
            {
                _deadline = null;
                deadline.Dispose();
            }
        }

        // Pub/sub kept nothing while the connection was down: what was published meanwhile is read from the stream.
        _arrivals.Writer.TryWrite(new Arrival(ArrivalKind.Restored, null));
    }

    private sealed record Arrival(ArrivalKind Kind, byte[]? Message);
}
