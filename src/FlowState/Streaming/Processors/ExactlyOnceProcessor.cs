
namespace FlowState.Streaming;

/// <summary>
/// Wraps a processor so that a message delivered twice (a producer that resent it, an at-least-once source replaying
/// it) is applied once: the wrapper keeps, per message key, the ids of the messages it applied since the checkpoint
/// before the last completed one, in keyed state checkpointed and restored with the wrapped processor's state, and
/// drops a message whose id is there. Messages without an id pass through.
/// </summary>
/// <remarks>
/// <para>
/// The log is bounded by checkpoints, not by a count: ids are kept in generations, one per completed checkpoint (the
/// ids seen while checkpoint k was the last completed form generation k), and when a checkpoint completes each
/// partition deletes the generations before the previous one. So a duplicate is caught if it arrives within one to two
/// checkpoint intervals of the original, memory holds the ids of that span only, and a checkpoint carries only the ids
/// added and the generations dropped since the last one — it follows the changes, not the number of keys. Without
/// checkpoints there is one generation, bounded by <see cref="Window"/> ids per key.
/// </para>
/// <para>
/// Replays after a recovery need no dedupe: the restored state and the rewound sources belong to the same checkpoint.
/// This wrapper is for duplicates that come from the input itself.
/// </para>
/// </remarks>
public sealed class ExactlyOnceProcessor : IProcessor
{
    private const string LogScope = "ids";
    private const string GenerationPrefix = "g";
    private readonly IProcessor _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The processor to apply each message to once.</param>
    /// <param name="window">The most ids kept per key in one generation (a bound for a key that takes more messages between two checkpoints).</param>
    public ExactlyOnceProcessor(IProcessor inner, int window = 1024)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _inner = inner;
        Window = window;
    }

    /// <summary>The wrapped processor's name (its state scope is unchanged by wrapping).</summary>
    public string Name => _inner.Name;

    /// <summary>The most ids kept per key in one generation (between two completed checkpoints).</summary>
    public int Window { get; }

    /// <summary>Messages dropped as duplicates since the pipeline was built.</summary>
    public long DuplicatesDropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(context);
        var completed = context.Completed();
        await DropOldGenerationsAsync(context, completed.Previous, cancellationToken).ConfigureAwait(false);
        var logs = context.RuntimeState.Scope(LogScope);
        var current = logs.Scope(Generation(completed.Last));
        var previous = completed.Previous == completed.Last ? null : logs.Scope(Generation(completed.Previous));
        var added = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var earlier = new Dictionary<string, List<string>?>(StringComparer.Ordinal);
        var fresh = new List<StreamMessage>(messages.Count);
        foreach (var message in messages)
        {
            var logKey = message.Key ?? message.Id;
            if (message.Id is null || logKey is null)
            {
                fresh.Add(message);
                continue;
            }

            if (!added.TryGetValue(logKey, out var log))
            {
                log = await current.GetAsync<List<string>>(logKey, cancellationToken).ConfigureAwait(false) ?? [];
                added[logKey] = log;
                earlier[logKey] = previous is null ? null : await previous.GetAsync<List<string>>(logKey, cancellationToken).ConfigureAwait(false);
            }

            if (log.Contains(message.Id, StringComparer.Ordinal) || earlier[logKey]?.Contains(message.Id, StringComparer.Ordinal) == true)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            log.Add(message.Id);
            changed.Add(logKey);
            if (log.Count > Window)
            {
                log.RemoveRange(0, log.Count - Window);
            }

            fresh.Add(message);
        }

        if (changed.Count > 0)
        {
            var batch = current.CreateBatch();
            foreach (var key in changed)
            {
                batch.Set(key, added[key]);
            }

            await current.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        return fresh.Count == 0 ? [] : await _inner.ProcessAsync(fresh, context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes this partition's keys of the generations before <paramref name="keepFrom"/>, once per completed checkpoint.</summary>
    private static async ValueTask DropOldGenerationsAsync(ProcessorContext context, long keepFrom, CancellationToken cancellationToken)
    {
        if (keepFrom <= context.DedupeKeptFrom)
        {
            return;
        }

        if (context.DedupeKeptFrom == 0)
        {
            // Logs of the earlier format (one list per key, directly in the runtime state) restored from an older checkpoint.
            await DeleteOwnedAsync(context, context.RuntimeState, cancellationToken).ConfigureAwait(false);
        }

        var logs = context.RuntimeState.Scope(LogScope);
        foreach (var generation in context.ChildScopes(logs.CurrentScope))
        {
            var name = generation.Scope.Name;
            if (!name.StartsWith(GenerationPrefix, StringComparison.Ordinal)
                || !long.TryParse(name.AsSpan(GenerationPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mark)
                || mark >= keepFrom)
            {
                continue;
            }

            await DeleteOwnedAsync(context, logs.Scope(name), cancellationToken).ConfigureAwait(false);
        }

        context.DedupeKeptFrom = keepFrom;
    }

    private static async ValueTask DeleteOwnedAsync(ProcessorContext context, IStateStore scope, CancellationToken cancellationToken)
    {
        var batch = scope.CreateBatch();
        await foreach (var key in scope.ListKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (context.Owns(key))
            {
                batch.Delete(key);
            }
        }

        if (batch.Count > 0)
        {
            await scope.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Generation(long mark) => GenerationPrefix + mark.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StreamMessage>> CompleteAsync(ProcessorContext context, CancellationToken cancellationToken) =>
        _inner.CompleteAsync(context, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StreamMessage>> OnTimerAsync(StreamTimer timer, ProcessorContext context, CancellationToken cancellationToken) =>
        _inner.OnTimerAsync(timer, context, cancellationToken);

}
