using System.Collections.Concurrent;
using System.Globalization;
using FlowState.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace FlowState.Nats;

/// <summary>
/// Shares one job's partitions among processes, on any hosts, that reach one NATS server: each member runs the
/// pipelines of the partitions it holds (one <see cref="StreamPipeline"/> per partition, made by the factory it is
/// given), and when a member leaves or stops renewing, the others take its partitions over — each pipeline recovering
/// from its partition's last checkpoint. Members and claims live in the JetStream key-value bucket
/// <c>flowstate-group-{Group}</c>; claims are compare-and-set on the entry's revision, so a partition has one holder.
/// </summary>
/// <remarks>
/// <para>
/// A partition's pipeline must read only its partition — e.g. a <see cref="NatsJetStreamSource"/> with the filter
/// subject <c>ORDERS.p{partition}</c> and the durable consumer <c>orders-p{partition}</c>, producers publishing each
/// key to the subject of <see cref="PartitionOf"/> — and write its checkpoints where every member reaches them (S3, a
/// shared folder) under a name of its own (<c>orders-p{partition}</c>). Exactly-once across a takeover is the
/// pipeline's: the new holder restores the checkpoint, commits or purges the pre-committed sink transactions, and reads
/// on from the checkpoint's position.
/// </para>
/// <para>
/// Shares are even: with n live members, each holds <c>Partitions / n</c> or one more (by member order). A member over
/// its share gives partitions back after a checkpoint; a member under it claims free partitions and those of members
/// not heard from for <see cref="NatsPipelineGroupOptions.LeaseTime"/> (measured on each member's own clock, so clocks
/// need not agree). A member that cannot renew for half the lease time stops its pipelines first, and a pipeline whose
/// durable consumer was made again by a new holder fails at its next read.
/// </para>
/// </remarks>
public sealed class NatsPipelineGroup : IAsyncDisposable
{
    private const string MemberPrefix = "members.";
    private const string PartitionPrefix = "partitions.";
    private readonly JetStreamConnection _connection;
    private readonly NatsPipelineGroupOptions _options;
    private readonly Func<int, StreamPipeline> _createPipeline;
    private readonly ILogger _logger;

    // When each member's heartbeat (or, for an owner never seen as a member, its claim) last changed, on this clock.
    private readonly Dictionary<string, HeardFrom> _heard = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, PartitionRun> _running = new();
    private readonly Dictionary<int, ulong> _claimed = [];
    private DateTimeOffset _lastRenewed;
    private int _started;

    /// <summary>A member working through <paramref name="connection"/> (not disposed by the group).</summary>
    /// <param name="connection">The NATS connection (JetStream enabled on the server).</param>
    /// <param name="options">The group, the partition count, the lease.</param>
    /// <param name="createPipeline">Makes the pipeline of a partition this member took; the group runs and disposes it.</param>
    /// <param name="logger">Where claims, releases and failures are logged.</param>
    public NatsPipelineGroup(INatsConnection connection, IOptions<NatsPipelineGroupOptions> options, Func<int, StreamPipeline> createPipeline, ILogger<NatsPipelineGroup>? logger = null)
        : this(JetStreamConnection.Borrowed(connection), options?.Value!, createPipeline, logger)
    {
    }

    /// <summary>A member connecting to the NATS server at <paramref name="url"/> when it runs.</summary>
    /// <param name="url">The server, e.g. <c>nats://127.0.0.1:4222</c>.</param>
    /// <param name="options">The group, the partition count, the lease.</param>
    /// <param name="createPipeline">Makes the pipeline of a partition this member took; the group runs and disposes it.</param>
    /// <param name="logger">Where claims, releases and failures are logged.</param>
    public NatsPipelineGroup(string url, NatsPipelineGroupOptions options, Func<int, StreamPipeline> createPipeline, ILogger<NatsPipelineGroup>? logger = null)
        : this(JetStreamConnection.Owned(url, $"flowstate-group-{options?.Group}"), options!, createPipeline, logger)
    {
    }

    private NatsPipelineGroup(JetStreamConnection connection, NatsPipelineGroupOptions options, Func<int, StreamPipeline> createPipeline, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(createPipeline);
        if (!NatsNames.IsValid(options.Group))
        {
            throw new ArgumentException($"Group {NatsNames.Problem(options.Group, "NATS group")}", nameof(options));
        }

        if (!NatsNames.IsValid(options.MemberId))
        {
            throw new ArgumentException($"Member id {NatsNames.Problem(options.MemberId, "group member")}", nameof(options));
        }

        if (options.Partitions < 1)
        {
            throw new ArgumentException($"Group '{options.Group}' needs at least 1 partition (Partitions is {options.Partitions}).", nameof(options));
        }

        if (options.LeaseTime < TimeSpan.FromMilliseconds(400))
        {
            throw new ArgumentException($"LeaseTime {options.LeaseTime} is too short for a member to renew in time; use 400 ms or more (the default is 10 s).", nameof(options));
        }

        _connection = connection;
        _options = options;
        _createPipeline = createPipeline;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Raised (on the group's task) when the set of partitions this member runs changed; read <see cref="RunningPartitions"/>.</summary>
    public event EventHandler? RunningPartitionsChanged;

    /// <summary>Wraps the group's bucket once it is open (tests: a bucket whose calls misbehave).</summary>
    internal Func<INatsKVStore, INatsKVStore>? DecorateBucket { get; init; }

    /// <summary>This member's id.</summary>
    public string MemberId => _options.MemberId;

    /// <summary>The partitions whose pipelines this member runs now, in order.</summary>
    public IReadOnlyList<int> RunningPartitions => [.. _running.Keys.Order()];

    /// <summary>The partition of <paramref name="key"/> among <paramref name="partitions"/>: where a producer publishes it (the pipelines' own key partitioning).</summary>
    public static int PartitionOf(string key, int partitions) => StreamPartitioner.PartitionOf(key, partitions);

    /// <summary>
    /// Joins the group and runs this member's share until <paramref name="cancellationToken"/> is cancelled; then
    /// takes a checkpoint of each running pipeline, stops it, gives its partition back and leaves (returning normally).
    /// </summary>
    /// <exception cref="InvalidOperationException">The member runs already.</exception>
    /// <exception cref="StreamException">The group's bucket cannot be made or opened.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            throw new InvalidOperationException($"Member '{MemberId}' of group '{_options.Group}' runs already; a member runs once.");
        }

        var bucket = await OpenBucketAsync(cancellationToken).ConfigureAwait(false);
        var time = _options.TimeProvider;
        _lastRenewed = time.GetUtcNow();
        NatsGroupLog.Joined(_logger, MemberId, _options.Group, _options.Partitions);
        try
        {
            while (true)
            {
                await TickAsync(bucket, cancellationToken).ConfigureAwait(false);
                await Task.Delay(_options.LeaseTime / 4, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop: leave below.
        }
        finally
        {
            await LeaveAsync(bucket).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAllAsync(checkpoint: false).ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private static string PartitionKey(int partition) => PartitionPrefix + partition.ToString(CultureInfo.InvariantCulture);

    private async Task<INatsKVStore> OpenBucketAsync(CancellationToken cancellationToken)
    {
        var bucket = $"flowstate-group-{_options.Group}";
        try
        {
            var context = new NatsKVContext(_connection.JetStream);
            var store = await context.CreateOrUpdateStoreAsync(new NatsKVConfig(bucket) { History = 1, Storage = NatsKVStorageType.File }, cancellationToken).ConfigureAwait(false);
            return DecorateBucket?.Invoke(store) ?? store;
        }
        catch (NatsException ex) when (_connection.Connection.ConnectionState != NatsConnectionState.Open)
        {
            throw new StreamException(
                $"Group '{_options.Group}' cannot reach the NATS server to make or open its key-value bucket '{bucket}': {ex.Message}. " +
                "Check that nats-server runs at that address; on a busy machine pass the group a NatsConnection whose NatsOpts.ConnectTimeout is longer than NATS's 2 s default.",
                ex);
        }
        catch (NatsException ex)
        {
            throw new StreamException($"Group '{_options.Group}' cannot make or open its key-value bucket '{bucket}': {ex.Message}. The NATS server needs JetStream (-js).", ex);
        }
    }

    private async Task TickAsync(INatsKVStore bucket, CancellationToken cancellationToken)
    {
        var now = _options.TimeProvider.GetUtcNow();

        // A call to the bucket that never returns must not stop the member for good: its lease would look renewed to
        // the others (heartbeats from before) while it claims nothing, so the partitions it should take stay without a
        // pipeline. A round is therefore given the lease time; one that takes longer is cut and the next one starts.
        using var deadline = new CancellationTokenSource(_options.LeaseTime, _options.TimeProvider);
        using var round = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        bool TimedOut(Exception ex) => ex is OperationCanceledException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
        Exception Reason(Exception ex) => TimedOut(ex) ? new TimeoutException($"a call to the group's bucket took longer than the lease time ({_options.LeaseTime})", ex) : ex;
        try
        {
            await bucket.PutAsync(MemberPrefix + MemberId, MemberId, cancellationToken: round.Token).ConfigureAwait(false);
            _lastRenewed = now;
        }
        catch (Exception ex) when (ex is NatsException || TimedOut(ex))
        {
            NatsGroupLog.RenewFailed(_logger, Reason(ex), MemberId, _options.Group);
            if (now - _lastRenewed >= _options.LeaseTime / 2 && !_running.IsEmpty)
            {
                // Past half the lease unrenewed: the others may take these partitions soon, so stop before they do.
                NatsGroupLog.Fenced(_logger, MemberId, _options.Group, string.Join(", ", RunningPartitions));
                await StopAllAsync(checkpoint: false).ConfigureAwait(false);

                _claimed.Clear();
                RunningPartitionsChanged?.Invoke(this, EventArgs.Empty);
            }

            return;
        }

        try
        {
            await ShareAsync(bucket, now, round.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException || TimedOut(ex))
        {
            // The server went away or a call hung mid-round: the next round reads the group again (and the renewal
            // above fences).
            NatsGroupLog.RoundFailed(_logger, Reason(ex), MemberId, _options.Group);
        }
    }

    private async Task ShareAsync(INatsKVStore bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (members, claims) = await ReadGroupAsync(bucket, now, cancellationToken).ConfigureAwait(false);
        var changed = await StopWhatIsNotOursAsync(claims).ConfigureAwait(false);

        var alive = members.Where(m => IsAlive(m, now)).Append(MemberId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var rank = alive.IndexOf(MemberId);
        var share = (_options.Partitions / alive.Count) + (rank < _options.Partitions % alive.Count ? 1 : 0);
        _claimed.Clear();
        foreach (var (partition, claim) in claims.Where(c => c.Value.Owner == MemberId))
        {
            _claimed[partition] = claim.Revision;
        }

        foreach (var partition in _claimed.Keys.Order().Skip(share).Reverse().ToList())
        {
            changed |= await ReleaseAsync(bucket, partition, cancellationToken).ConfigureAwait(false);
        }

        var free = Enumerable.Range(0, _options.Partitions).Where(p => !claims.ContainsKey(p))
            .Concat(claims.Where(c => c.Value.Owner != MemberId && !IsAlive(c.Value.Owner, now)).Select(c => c.Key).Order());
        foreach (var partition in free)
        {
            if (_claimed.Count >= share)
            {
                break;
            }

            await ClaimAsync(bucket, partition, claims.TryGetValue(partition, out var previous) ? previous : null, cancellationToken).ConfigureAwait(false);
        }

        foreach (var partition in _claimed.Keys.Order())
        {
            changed |= Start(partition);
        }

        if (changed)
        {
            RunningPartitionsChanged?.Invoke(this, EventArgs.Empty);
        }
    }

    private async Task<(List<string> Members, Dictionary<int, Claim> Claims)> ReadGroupAsync(INatsKVStore bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var key in bucket.GetKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(key);
        }

        var members = new List<string>();
        var claims = new Dictionary<int, Claim>();
        foreach (var key in keys)
        {
            var entry = await bucket.TryGetEntryAsync<string>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!entry.Success || entry.Value.Value is not { } value)
            {
                continue;
            }

            if (key.StartsWith(MemberPrefix, StringComparison.Ordinal))
            {
                var member = key[MemberPrefix.Length..];
                members.Add(member);
                Heard(member, entry.Value.Revision, now);
                if (member != MemberId && now - _heard[member].Since >= _options.LeaseTime * 3)
                {
                    // Gone for long (a killed process never comes back under its id): its key goes, so the bucket stays small.
                    await bucket.TryDeleteAsync(key, new NatsKVDeleteOpts { Revision = entry.Value.Revision }, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (key.StartsWith(PartitionPrefix, StringComparison.Ordinal)
                && int.TryParse(key.AsSpan(PartitionPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                && partition < _options.Partitions)
            {
                claims[partition] = new Claim(value, entry.Value.Revision);
                if (!_heard.ContainsKey(value))
                {
                    // An owner this member never heard from counts from now: it may have joined just after the member list was read.
                    _heard[value] = new HeardFrom(0, now);
                }
            }
        }

        return (members, claims);
    }

    private void Heard(string member, ulong revision, DateTimeOffset now)
    {
        if (!_heard.TryGetValue(member, out var heard) || heard.Revision != revision)
        {
            _heard[member] = new HeardFrom(revision, now);
        }
    }

    private bool IsAlive(string member, DateTimeOffset now) =>
        member == MemberId || (_heard.TryGetValue(member, out var heard) && now - heard.Since < _options.LeaseTime);

    private async Task<bool> StopWhatIsNotOursAsync(Dictionary<int, Claim> claims)
    {
        var changed = false;
        foreach (var run in _running.Values.ToList())
        {
            if (!claims.TryGetValue(run.Partition, out var claim) || claim.Owner != MemberId)
            {
                NatsGroupLog.Lost(_logger, MemberId, _options.Group, run.Partition);
                await StopAsync(run, checkpoint: false).ConfigureAwait(false);
                changed = true;
            }
            else if (run.Task.IsFaulted)
            {
                NatsGroupLog.RunFailed(_logger, run.Task.Exception!.GetBaseException(), MemberId, _options.Group, run.Partition);
                await StopAsync(run, checkpoint: false).ConfigureAwait(false);
                changed = true;
            }
        }

        return changed;
    }

    private async Task ClaimAsync(INatsKVStore bucket, int partition, Claim? previous, CancellationToken cancellationToken)
    {
        var result = previous is { } claim
            ? await bucket.TryUpdateAsync(PartitionKey(partition), MemberId, claim.Revision, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await bucket.TryCreateAsync(PartitionKey(partition), MemberId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Success)
        {
            // Lost races are not errors: another member claimed it first, and the next round sees that.
            _claimed[partition] = result.Value;
            NatsGroupLog.Claimed(_logger, MemberId, _options.Group, partition, previous?.Owner ?? "nobody");
        }
    }

    private async Task<bool> ReleaseAsync(INatsKVStore bucket, int partition, CancellationToken cancellationToken)
    {
        var stopped = false;
        if (_running.TryGetValue(partition, out var run))
        {
            await StopAsync(run, checkpoint: true).ConfigureAwait(false);
            stopped = true;
        }

        await bucket.TryDeleteAsync(PartitionKey(partition), new NatsKVDeleteOpts { Revision = _claimed[partition] }, cancellationToken).ConfigureAwait(false);
        _claimed.Remove(partition);
        NatsGroupLog.Released(_logger, MemberId, _options.Group, partition);
        return stopped;
    }

    private bool Start(int partition)
    {
        if (_running.ContainsKey(partition))
        {
            return false;
        }

        StreamPipeline pipeline;
        try
        {
            pipeline = _createPipeline(partition);
        }
#pragma warning disable CA1031 // the factory is the caller's code: its failure is logged and tried again next round
        catch (Exception ex)
#pragma warning restore CA1031
        {
            NatsGroupLog.RunFailed(_logger, ex, MemberId, _options.Group, partition);
            return false;
        }

        var stop = new CancellationTokenSource();
        _running[partition] = new PartitionRun(partition, pipeline, stop, Task.Run(() => pipeline.RunAsync(stop.Token), CancellationToken.None));
        return true;
    }

    private async Task StopAsync(PartitionRun run, bool checkpoint)
    {
        if (checkpoint && !run.Task.IsCompleted)
        {
            using var deadline = new CancellationTokenSource(_options.LeaseTime);
            try
            {
                await run.Pipeline.CreateCheckpointAsync(deadline.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a checkpoint that cannot be taken now only means the next holder redoes more
            catch (Exception ex)
#pragma warning restore CA1031
            {
                NatsGroupLog.CheckpointOnStopFailed(_logger, ex, MemberId, _options.Group, run.Partition);
            }
        }

        await run.Stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await run.Task.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a cancelled or failed run is over either way; a failure was logged when it was seen
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        await run.Pipeline.DisposeAsync().ConfigureAwait(false);
        run.Stop.Dispose();
        _running.TryRemove(run.Partition, out _);
    }

    private async Task StopAllAsync(bool checkpoint)
    {
        foreach (var run in _running.Values)
        {
            await StopAsync(run, checkpoint).ConfigureAwait(false);
        }
    }

    private async Task LeaveAsync(INatsKVStore bucket)
    {
        using var deadline = new CancellationTokenSource(_options.LeaseTime);
        await StopAllAsync(checkpoint: true).ConfigureAwait(false);

        try
        {
            foreach (var (partition, revision) in _claimed)
            {
                await bucket.TryDeleteAsync(PartitionKey(partition), new NatsKVDeleteOpts { Revision = revision }, deadline.Token).ConfigureAwait(false);
            }

            await bucket.TryDeleteAsync(MemberPrefix + MemberId, cancellationToken: deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException)
        {
            // Unreachable: the others take the partitions once the lease runs out.
            NatsGroupLog.RenewFailed(_logger, ex, MemberId, _options.Group);
        }

        _claimed.Clear();
        RunningPartitionsChanged?.Invoke(this, EventArgs.Empty);
        NatsGroupLog.Left(_logger, MemberId, _options.Group);
    }

    private readonly record struct HeardFrom(ulong Revision, DateTimeOffset Since);

    private readonly record struct Claim(string Owner, ulong Revision);

    private sealed record PartitionRun(int Partition, StreamPipeline Pipeline, CancellationTokenSource Stop, Task Task);
}
