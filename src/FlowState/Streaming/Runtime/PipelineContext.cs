using System.Diagnostics;
using FlowState.Checkpoints;
using Microsoft.Extensions.Logging;

namespace FlowState.Streaming;

/// <summary>
/// What a pipeline's runs work with, owned here and not by the public <see cref="StreamPipeline"/>: the definition
/// (options, sources, processors, sinks), the store and scope of the keyed state with its tracker, the counters, one
/// lock per sink and the last checkpoint taken. The workers, the run and the checkpoint coordinator see only this;
/// the pipeline reads it for its statistics. Counters change by interlocked adds; the last checkpoint is written only
/// by the coordinator when a checkpoint completes; the current run is set and cleared by the pipeline, one run at a
/// time.
/// </summary>
internal sealed class PipelineContext : IDisposable
{
    private readonly Dictionary<string, SemaphoreSlim> _sinkLocks = new(StringComparer.Ordinal);
    private readonly FlowStateInstruments _instruments;
    private long _messagesRead;
    private long _messagesWritten;
    private long _messagesProcessed;
    private PipelineRun? _run;

    public PipelineContext(
        StreamPipelineOptions options,
        IReadOnlyList<ISource> sources,
        IReadOnlyList<IProcessor> processors,
        IReadOnlyList<ISink> sinks,
        StateStore store,
        FlowStateInstruments instruments,
        ILogger logger)
    {
        Options = options;
        Sources = sources;
        Processors = processors;
        Sinks = sinks;
        Store = store;
        _instruments = instruments;
        Logger = logger;
        Scope = StateScope.Custom("stream").Child(options.Name);
        foreach (var sink in sinks)
        {
            _sinkLocks[sink.Name] = new SemaphoreSlim(1, 1);
        }

        Tracker = new StreamStateTracker(store, Scope, [.. processors.Select(p => p.Name)], options.Partitions);
    }

    public string Name => Options.Name;

    public StreamPipelineOptions Options { get; }

    public IReadOnlyList<ISource> Sources { get; }

    public IReadOnlyList<IProcessor> Processors { get; }

    public IReadOnlyList<ISink> Sinks { get; }

    /// <summary>How many workers report the end of the input: one per sink, else one per last-stage partition.</summary>
    public int TerminalCount => Sinks.Count > 0 ? Sinks.Count : Options.Partitions;

    public StateStore Store { get; }

    public StateScope Scope { get; }

    public StreamStateTracker Tracker { get; }

    public ILogger Logger { get; }

    /// <summary>The run in progress, if any (set by the pipeline around each run).</summary>
    public PipelineRun? Run
    {
        get => Volatile.Read(ref _run);
        set => Volatile.Write(ref _run, value);
    }

    public long MessagesRead => Interlocked.Read(ref _messagesRead);

    public long MessagesProcessed => Interlocked.Read(ref _messagesProcessed);

    public long MessagesWritten => Interlocked.Read(ref _messagesWritten);

    /// <summary>The last complete checkpoint's manifest (null when it stored nothing), as the coordinator recorded it.</summary>
    public CheckpointManifest? LastTaken { get; private set; }

    public TimeSpan? LastDuration { get; private set; }

    public void CountRead(int messages)
    {
        Interlocked.Add(ref _messagesRead, messages);
        _instruments.StreamMessages.Add(messages, new KeyValuePair<string, object?>("flowstate.pipeline", Name));
    }

    public void CountProcessed(int messages) => Interlocked.Add(ref _messagesProcessed, messages);

    public void CountWritten(int messages) => Interlocked.Add(ref _messagesWritten, messages);

    /// <summary>The lock that keeps a sink's writes and the commits of its transactions apart.</summary>
    public SemaphoreSlim SinkLock(ISink sink) => _sinkLocks[sink.Name];

    public void Fault(Exception failure) => Run?.Fault(failure);

    public void RecordCheckpoint(CheckpointManifest? manifest, TimeSpan duration)
    {
        LastTaken = manifest;
        LastDuration = duration;
        if (manifest is not null)
        {
            var tags = new TagList { { "flowstate.pipeline", Name }, { "flowstate.checkpoint.kind", manifest.Incremental ? "incremental" : "full" } };
            _instruments.CheckpointDuration.Record(duration.TotalSeconds, tags);
            _instruments.CheckpointSize.Record(manifest.Bytes, tags);
            if (FlowStateActivities.Source.HasListeners())
            {
                // The checkpoint is over by now: record its span after the fact, from barrier request to manifest.
                using var activity = FlowStateActivities.Source.StartActivity("flowstate.checkpoint", ActivityKind.Internal, default(ActivityContext), startTime: Options.TimeProvider.GetUtcNow() - duration);
                activity?.SetTag("flowstate.pipeline", Name);
                activity?.SetTag("flowstate.checkpoint.id", manifest.Id);
                activity?.SetTag("flowstate.checkpoint.kind", manifest.Incremental ? "incremental" : "full");
                activity?.SetTag("flowstate.checkpoint.entries", manifest.Entries);
                activity?.SetTag("flowstate.checkpoint.bytes", manifest.Bytes);
            }
            StreamLog.CheckpointCompleted(Logger, Name, manifest.Id, manifest.Incremental ? "incremental" : "full", manifest.Entries, manifest.Bytes, duration.TotalMilliseconds);
        }
    }

    /// <summary>Commits the sink transactions a complete checkpoint names, oldest first.</summary>
    public async Task CommitSinksAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> handles)
    {
        foreach (var sink in Sinks)
        {
            if (sink is not TwoPhaseCommitSink transactional || !handles.TryGetValue(sink.Name, out var list) || list.Count == 0)
            {
                continue;
            }

            var sinkLock = SinkLock(sink);
            await sinkLock.WaitAsync().ConfigureAwait(false);
            try
            {
                foreach (var handle in list)
                {
                    await transactional.CommitAsync(handle, CancellationToken.None).ConfigureAwait(false);
                    Run?.CommittedSinkTransactions(1);
                }
            }
            finally
            {
                sinkLock.Release();
            }
        }
    }

    /// <summary>Replaces the pipeline's state with a checkpoint's entries (expired ones skipped).</summary>
    public async Task ReplaceStateAsync(IReadOnlyList<List<RestoredEntry>> partitions, CancellationToken cancellationToken)
    {
        Tracker.Suspend(true);
        try
        {
            await Store.For(Scope).ClearAsync(cancellationToken).ConfigureAwait(false);

            // Every scope is resolved and checked before anything is written. The checkpoint reader hands one string
            // per scope, so a run of entries of one scope costs one reference comparison each, not a lookup.
            var scopes = new Dictionary<string, RestoredScope>(StringComparer.Ordinal);
            RestoredScope? current = null;
            foreach (var partition in partitions)
            {
                foreach (var entry in partition)
                {
                    if (current is null || !ReferenceEquals(current.StorageKey, entry.ScopeKey))
                    {
                        if (!scopes.TryGetValue(entry.ScopeKey, out current))
                        {
                            var scope = StateScope.FromStorageKey(entry.ScopeKey);
                            if (!Scope.Contains(scope))
                            {
                                throw new StateCorruptedException($"A checkpoint of pipeline '{Name}' holds state of scope '{scope}', outside the pipeline's scope '{Scope}'.");
                            }

                            scopes[entry.ScopeKey] = current = new RestoredScope(entry.ScopeKey, scope);
                        }
                    }

                    current.Entries++;
                }
            }

            if (scopes.Count > 0)
            {
                await Store.RestoreEntriesAsync(partitions, scopes, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Tracker.Suspend(false);
        }
    }

    public void Dispose()
    {
        foreach (var sinkLock in _sinkLocks.Values)
        {
            sinkLock.Dispose();
        }
    }
}
