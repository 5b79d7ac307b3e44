using System.Text.Json;

namespace FlowState.Flows;

/// <summary>
/// Writes, folds and reads a run's checkpoints: <c>checkpoint:{index}</c> records with the step's changes and
/// progress, and a <c>history-base</c> record holding the state (fields, step state, frame positions) as of the last
/// checkpoint retention folded away.
/// </summary>
internal sealed class FlowHistory(FlowHistoryOptions options, IStateStore bookkeeping)
{
    public const string BaseKey = "history-base";
    private const string CheckpointPrefix = "checkpoint:";

    private HistoryBaseRecord? _base;

    public static HistoryBaseRecord Empty => new(-1, [], new Dictionary<string, FrameRecord>(StringComparer.Ordinal));

    public static string CheckpointKey(long index) => CheckpointPrefix + index.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The changes of a step within the run: its run fields and its steps' private state.</summary>
    public static List<FlowStateChange> ChangesOf(StagedWrites? writes, StateScope runScope)
    {
        var changes = new List<FlowStateChange>();
        foreach (var write in writes?.InSubtree(runScope) ?? [])
        {
            string? step;
            if (write.Scope == runScope)
            {
                step = null;
            }
            else if (write.Scope.Kind == ScopeSegmentKind.Step && write.Scope.Parent == runScope)
            {
                step = write.Scope.Name;
            }
            else
            {
                continue;
            }

            changes.Add(new FlowStateChange(step, write.Key, write.Value is null ? null : Parse(write.Value)));
        }

        return changes;
    }

    public static void Add(StateBatch bookkeeping, CheckpointRecord checkpoint) =>
        bookkeeping.Set(CheckpointKey(checkpoint.Index), checkpoint, FlowRecordsJsonContext.Default.CheckpointRecord);

    /// <summary>Folds the oldest checkpoints into the base while retention asks for it; <paramref name="newest"/> is never folded.</summary>
    public async ValueTask ApplyRetentionAsync(StateBatch batch, long newest, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (options.MaxCheckpoints is null && options.MaxAge is null)
        {
            return;
        }

        _base ??= await ReadBaseAsync(bookkeeping, cancellationToken).ConfigureAwait(false);
        var folded = false;
        while (_base.Index + 1 < newest)
        {
            var oldestIndex = _base.Index + 1;
            var oldest = await ReadAsync(bookkeeping, oldestIndex, cancellationToken).ConfigureAwait(false);
            var tooMany = options.MaxCheckpoints is { } max && newest - _base.Index > max;
            var tooOld = options.MaxAge is { } age && oldest is not null && oldest.At < now - age;
            if (!tooMany && !tooOld && oldest is not null)
            {
                break;
            }

            _base = Fold(_base, oldest, oldestIndex);
            batch.Delete(CheckpointKey(oldestIndex));
            folded = true;
        }

        if (folded)
        {
            batch.Set(BaseKey, _base, FlowRecordsJsonContext.Default.HistoryBaseRecord);
        }
    }

    public static async ValueTask<HistoryBaseRecord> ReadBaseAsync(IStateReader bookkeeping, CancellationToken cancellationToken)
    {
        var entry = await bookkeeping.GetEntryAsync(BaseKey, cancellationToken).ConfigureAwait(false);
        return entry?.Deserialize(FlowRecordsJsonContext.Default.HistoryBaseRecord) ?? Empty;
    }

    public static async ValueTask<CheckpointRecord?> ReadAsync(IStateReader bookkeeping, long index, CancellationToken cancellationToken)
    {
        var entry = await bookkeeping.GetEntryAsync(CheckpointKey(index), cancellationToken).ConfigureAwait(false);
        return entry?.Deserialize(FlowRecordsJsonContext.Default.CheckpointRecord);
    }

    /// <summary>The state right after checkpoint <paramref name="index"/>: the base folded with every kept checkpoint up to it.</summary>
    /// <exception cref="FlowException">The run has no such checkpoint.</exception>
    public static async ValueTask<HistoryBaseRecord> StateAtAsync(IStateReader bookkeeping, string runId, RunRecord? record, long index, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var state = await ReadBaseAsync(bookkeeping, cancellationToken).ConfigureAwait(false);
        if (record is null || index > record.Steps || index < state.Index
            || (index > state.Index && await ReadAsync(bookkeeping, index, cancellationToken).ConfigureAwait(false) is null))
        {
            throw new FlowException(
                $"Run '{runId}' has no checkpoint {index}: " +
                (record is null ? "there is no such run." : $"it kept checkpoints {state.Index + 1}–{record.Steps} (history off, or older ones folded by retention)."),
                runId,
                null);
        }

        for (var i = state.Index + 1; i <= index; i++)
        {
            state = Fold(state, await ReadAsync(bookkeeping, i, cancellationToken).ConfigureAwait(false), i);
        }

        return state;
    }

    /// <summary>
    /// The base with <paramref name="checkpoint"/> applied: its changes, and its frame's new position (a composite
    /// step's commit also ends its children's frames). A missing checkpoint changes nothing.
    /// </summary>
    public static HistoryBaseRecord Fold(HistoryBaseRecord state, CheckpointRecord? checkpoint, long index)
    {
        var fields = state.State.ToDictionary(c => (c.Step, c.Key));
        foreach (var change in checkpoint?.Changes ?? [])
        {
            if (change.Value is null)
            {
                fields.Remove((change.Step, change.Key));
            }
            else
            {
                fields[(change.Step, change.Key)] = change;
            }
        }

        var frames = new Dictionary<string, FrameRecord>(state.Frames, StringComparer.Ordinal);
        if (checkpoint is { Frame: { } frame, Progress: { } progress })
        {
            var children = $"{frame}/{checkpoint.FrameStep.ToString(System.Globalization.CultureInfo.InvariantCulture)}.";
            foreach (var child in frames.Keys.Where(k => k.StartsWith(children, StringComparison.Ordinal)).ToList())
            {
                frames.Remove(child);
            }

            frames[frame] = progress;
        }

        return new HistoryBaseRecord(index, [.. fields.Values], frames);
    }

    private static JsonElement Parse(byte[] utf8Json)
    {
        using var document = JsonDocument.Parse(utf8Json);
        return document.RootElement.Clone();
    }
}
