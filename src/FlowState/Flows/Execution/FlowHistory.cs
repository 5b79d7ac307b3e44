using System.Text.Json;

namespace FlowState.Flows;

/// <summary>
/// Writes and folds a run's checkpoints: <c>checkpoint:{index}</c> records with the step's changes, and a
/// <c>history-base</c> record holding the state as of the last checkpoint retention folded away.
/// </summary>
internal sealed class FlowHistory(FlowHistoryOptions options, IStateStore bookkeeping)
{
    public const string BaseKey = "history-base";
    private const string CheckpointPrefix = "checkpoint:";

    private HistoryBaseRecord? _base;

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

    public static void Add(StateBatch bookkeeping, FlowCheckpoint checkpoint) =>
        bookkeeping.Set(CheckpointKey(checkpoint.Index), checkpoint, FlowRecordsJsonContext.Default.FlowCheckpoint);

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
        return entry?.Deserialize(FlowRecordsJsonContext.Default.HistoryBaseRecord) ?? new HistoryBaseRecord(-1, []);
    }

    public static async ValueTask<FlowCheckpoint?> ReadAsync(IStateReader bookkeeping, long index, CancellationToken cancellationToken)
    {
        var entry = await bookkeeping.GetEntryAsync(CheckpointKey(index), cancellationToken).ConfigureAwait(false);
        return entry?.Deserialize(FlowRecordsJsonContext.Default.FlowCheckpoint);
    }

    /// <summary>The base with <paramref name="checkpoint"/>'s changes applied (a missing checkpoint changes nothing).</summary>
    public static HistoryBaseRecord Fold(HistoryBaseRecord state, FlowCheckpoint? checkpoint, long index)
    {
        var fields = new List<FlowStateChange>(state.State);
        foreach (var change in checkpoint?.Changes ?? [])
        {
            fields.RemoveAll(f => f.Step == change.Step && f.Key == change.Key);
            if (change.Value is not null)
            {
                fields.Add(change);
            }
        }

        return new HistoryBaseRecord(index, fields);
    }

    private static JsonElement Parse(byte[] utf8Json)
    {
        using var document = JsonDocument.Parse(utf8Json);
        return document.RootElement.Clone();
    }
}
