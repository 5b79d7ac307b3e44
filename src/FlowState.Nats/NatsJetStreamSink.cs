using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlowState.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FlowState.Nats;

/// <summary>
/// Exactly-once output to a JetStream subject, by two-phase commit through a staging stream: an epoch's messages are
/// published, as they are written, to the epoch's own subject of the staging stream (stored by JetStream, invisible on
/// <see cref="Subject"/>); the checkpoint barrier waits for every acknowledgement and stores the epoch as the handle;
/// the completed checkpoint copies the epoch's messages to <see cref="Subject"/>, each with the JetStream message id
/// <c>{scope}-{epoch}-{index}</c>, then purges the epoch's staging subject. A copy that a crash interrupted is repeated
/// by the recovery with the same ids, and the target stream's duplicate window drops what had arrived — so each message
/// is visible exactly once as long as the pipeline recovers within that window (JetStream's default: 2 minutes; raise
/// the target stream's <c>duplicate_window</c> for longer outages). Recovery commits the restored checkpoint's epochs and
/// purges every other staged epoch of this sink.
/// </summary>
/// <remarks>
/// <para>
/// Each output message carries its key in the header <see cref="KeyHeader"/> (what <see cref="NatsJetStreamSource"/>
/// reads by default), its <see cref="StreamMessage.Id"/> in <c>FlowState-Id</c> and its epoch in <c>FlowState-Epoch</c>;
/// the payload is the message's JSON value. The target stream (the one capturing <see cref="Subject"/>) must exist; the
/// staging stream <see cref="StagingStream"/> is created when missing (file storage, subjects
/// <c>{StagingSubjectPrefix}.&gt;</c>).
/// </para>
/// <para>
/// <c>{scope}</c> is 16 hex digits of a hash of the pipeline's name, the sink's name and the subject, so pipelines whose
/// sinks share a name never recover (or purge) each other's staged epochs.
/// </para>
/// </remarks>
public sealed class NatsJetStreamSink : TwoPhaseCommitSink
{
    /// <summary>The header that carries a message's key, unless <see cref="KeyHeader"/> names another.</summary>
    public const string DefaultKeyHeader = "FlowState-Key";

    // Staged messages copied per read when an epoch is committed.
    private const int CopyBatch = 512;

    private readonly JetStreamConnection _connection;
    private readonly NatsJSContext _jetStream;
    private readonly JetStreamPublisher _staging;
    private string? _scope;
    private bool _stagingReady;
    private long _openEpoch;
    private int _staged;

    /// <summary>Publishes to <paramref name="subject"/> through <paramref name="connection"/> (not disposed by the sink).</summary>
    public NatsJetStreamSink(string name, INatsConnection connection, string subject)
        : this(name, JetStreamConnection.Borrowed(connection), subject)
    {
    }

    /// <summary>Connects to the NATS server at <paramref name="url"/> (e.g. <c>nats://127.0.0.1:4222</c>) when it first writes.</summary>
    public NatsJetStreamSink(string name, string url, string subject)
        : this(name, JetStreamConnection.Owned(url, $"flowstate-sink-{name}"), subject)
    {
    }

    private NatsJetStreamSink(string name, JetStreamConnection connection, string subject)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        JetStreamPublisher.ValidateSubject(subject);
        Name = name;
        Subject = subject;
        _connection = connection;
        _jetStream = connection.JetStream;
        _staging = new JetStreamPublisher(_jetStream, name, duplicatesExpected: false);
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The subject committed messages are published to; a stream must capture it.</summary>
    public string Subject { get; }

    /// <summary>The header a message's key is written to (null: keys are not written).</summary>
    public string? KeyHeader { get; init; } = DefaultKeyHeader;

    /// <summary>The stream holding epochs until their checkpoint completes; created when missing.</summary>
    public string StagingStream { get; init; } = "FLOWSTATE_STAGING";

    /// <summary>
    /// The subjects of <see cref="StagingStream"/>: <c>{prefix}.{scope}.epoch.{epoch}</c> for staged messages and
    /// <c>{prefix}.{scope}.committed</c> for the highest committed epoch.
    /// </summary>
    public string StagingSubjectPrefix { get; init; } = "flowstate.staging";

    private string Scope => _scope ??= ScopeOf(
        PipelineName ?? throw new InvalidOperationException($"Sink '{Name}' is not part of a pipeline; build a pipeline with it (StreamPipelineBuilder.AddSink) before writing."),
        Name,
        Subject);

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await AbortAsync(CancellationToken.None).ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask BeginTransactionAsync(long epoch, CancellationToken cancellationToken)
    {
        await EnsureStagingStreamAsync(cancellationToken).ConfigureAwait(false);

        // What an earlier attempt at this epoch staged (a crash before its barrier) is not part of this one.
        await PurgeStagedAsync(StagedSubject(epoch), cancellationToken).ConfigureAwait(false);
        _openEpoch = epoch;
        _staged = 0;
    }

    /// <inheritdoc />
    protected override async ValueTask WriteToTransactionAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        var subject = StagedSubject(_openEpoch);
        foreach (var message in messages)
        {
            var headers = JetStreamPublisher.HeadersOf(message, KeyHeader, _openEpoch);
            await _staging.PublishAsync(subject, Encoding.UTF8.GetBytes(message.Value.GetRawText()), headers, msgId: null, cancellationToken).ConfigureAwait(false);
            _staged++;
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<string> PreCommitAsync(CancellationToken cancellationToken)
    {
        await _staging.AwaitAllAsync().ConfigureAwait(false);
        var handle = string.Create(CultureInfo.InvariantCulture, $"{_openEpoch}:{_staged}");
        _staged = 0; // pre-committed: only a commit or a recovery discards it now
        return handle;
    }

    /// <inheritdoc />
    protected override async ValueTask CommitAsync(string handle, CancellationToken cancellationToken)
    {
        var (epoch, count) = ParseHandle(handle);
        await EnsureStagingStreamAsync(cancellationToken).ConfigureAwait(false);
        var staged = StagedSubject(epoch);
        var reader = new JetStreamReader(_jetStream, StagingStream, staged);
        await using var readerScope = reader.ConfigureAwait(false);
        // Copied in staging order with ids that name the epoch and the position, so a repeated commit is dropped as a duplicate.
        // Its own publisher: a commit may run while the next epoch is being written.
        var copies = new JetStreamPublisher(_jetStream, Name, duplicatesExpected: true);
        var index = 0;
        while (index < count)
        {
            var batch = await Call(() => reader.ReadAsync(CopyBatch, cancellationToken), "read the staged epoch").ConfigureAwait(false);
            foreach (var message in batch)
            {
                await copies.PublishAsync(Subject, message.Data ?? [], CopyHeaders(message.Headers), $"{Scope}-{epoch}-{index}", cancellationToken).ConfigureAwait(false);
                index++;
            }

            await copies.AwaitAllAsync().ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break; // committed before: its staged messages were purged
            }
        }

        await RecordCommittedAsync(epoch, cancellationToken).ConfigureAwait(false);
        await PurgeStagedAsync(staged, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask AbortAsync(CancellationToken cancellationToken)
    {
        await _staging.DiscardAsync().ConfigureAwait(false);
        if (_staged > 0 && _stagingReady)
        {
            _staged = 0;
            await PurgeStagedAsync(StagedSubject(_openEpoch), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<long> RecoverAsync(IReadOnlyCollection<string> toCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toCommit);
        await EnsureStagingStreamAsync(cancellationToken).ConfigureAwait(false);
        foreach (var handle in toCommit)
        {
            await CommitAsync(handle, cancellationToken).ConfigureAwait(false);
        }

        await PurgeStagedAsync($"{StagingSubjectPrefix}.{Scope}.epoch.>", cancellationToken).ConfigureAwait(false);
        return await HighestCommittedAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string ScopeOf(string pipeline, string sink, string subject)
    {
        // Length-prefixed parts, so ("a:b", "c") and ("a", "b:c") differ.
        var text = string.Create(CultureInfo.InvariantCulture, $"{pipeline.Length}:{pipeline}{sink.Length}:{sink}{subject.Length}:{subject}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
    }

    private static NatsHeaders CopyHeaders(NatsHeaders? headers)
    {
        var copy = new NatsHeaders();
        if (headers is not null)
        {
            foreach (var (name, values) in headers)
            {
                copy[name] = values;
            }
        }

        return copy;
    }

    private (long Epoch, int Count) ParseHandle(string handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var parts = handle.Split(':');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new StreamException($"Sink '{Name}': '{handle}' is not a handle this sink made (epoch:count). The checkpoint was written by another kind of sink under this name.");
        }

        return (epoch, count);
    }

    private string StagedSubject(long epoch) => string.Create(CultureInfo.InvariantCulture, $"{StagingSubjectPrefix}.{Scope}.epoch.{epoch}");

    private string CommittedSubject => $"{StagingSubjectPrefix}.{Scope}.committed";

    private async ValueTask EnsureStagingStreamAsync(CancellationToken cancellationToken)
    {
        if (_stagingReady)
        {
            return;
        }

        await Call(
            async () =>
            {
                try
                {
                    await _jetStream.GetStreamAsync(StagingStream, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (NatsJSApiException ex) when (ex.Error.Code == 404)
                {
                    var config = new StreamConfig(StagingStream, [$"{StagingSubjectPrefix}.>"]) { Storage = StreamConfigStorage.File };
                    try
                    {
                        await _jetStream.CreateStreamAsync(config, cancellationToken).ConfigureAwait(false);
                    }
                    catch (NatsJSApiException created) when (created.Error.ErrCode == 10058)
                    {
                        // Another sink created it at the same moment.
                    }
                }
            },
            $"open the staging stream '{StagingStream}'").ConfigureAwait(false);
        _stagingReady = true;
    }

    private ValueTask PurgeStagedAsync(string filter, CancellationToken cancellationToken) =>
        PurgeAsync(new StreamPurgeRequest { Filter = filter }, "discard staged messages", cancellationToken);

    // One API request: the purge names the stream itself, so no stream lookup goes before it.
    private async ValueTask PurgeAsync(StreamPurgeRequest request, string what, CancellationToken cancellationToken) =>
        await Call(() => _jetStream.PurgeStreamAsync(StagingStream, request, cancellationToken), what).ConfigureAwait(false);

    private async ValueTask<long> HighestCommittedAsync(CancellationToken cancellationToken)
    {
        var highest = 0L;
        var reader = new JetStreamReader(_jetStream, StagingStream, CommittedSubject);
        await using (reader.ConfigureAwait(false))
        {
            foreach (var message in await Call(() => reader.ReadToEndAsync(cancellationToken), "read the committed epochs").ConfigureAwait(false))
            {
                highest = Math.Max(highest, long.Parse(Encoding.UTF8.GetString(message.Data ?? []), NumberStyles.None, CultureInfo.InvariantCulture));
            }
        }

        // Only the highest matters from now on: record it last and keep that record alone.
        await RecordCommittedAsync(highest, cancellationToken).ConfigureAwait(false);
        await PurgeAsync(new StreamPurgeRequest { Filter = CommittedSubject, Keep = 1 }, "compact the committed epochs", cancellationToken).ConfigureAwait(false);
        return highest;
    }

    private ValueTask RecordCommittedAsync(long epoch, CancellationToken cancellationToken) =>
        Call(
            async () => (await _jetStream.PublishAsync(CommittedSubject, Encoding.UTF8.GetBytes(epoch.ToString(CultureInfo.InvariantCulture)), cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess(),
            "record the committed epoch");

    private async ValueTask<T> Call<T>(Func<ValueTask<T>> operation, string what)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (NatsException ex)
        {
            throw new StreamException($"Sink '{Name}' cannot {what} on JetStream: {ex.Message}", ex);
        }
    }

    private async ValueTask Call(Func<ValueTask> operation, string what)
    {
        try
        {
            await operation().ConfigureAwait(false);
        }
        catch (NatsException ex)
        {
            throw new StreamException($"Sink '{Name}' cannot {what} on JetStream: {ex.Message}", ex);
        }
    }
}
