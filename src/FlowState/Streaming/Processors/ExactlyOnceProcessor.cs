
namespace FlowState.Streaming;

/// <summary>
/// Wraps a processor so that a message delivered twice (a producer that resent it, an at-least-once source replaying
/// it) is applied once: the wrapper keeps, per message key, a log of the ids of the messages it applied — the last
/// <see cref="Window"/> of them — in keyed state that is checkpointed and restored with the wrapped processor's state,
/// and drops a message whose id is in it. Messages without an id pass through.
/// </summary>
/// <remarks>
/// Replays after a recovery need no dedupe: the restored state and the rewound sources belong to the same checkpoint.
/// This wrapper is for duplicates that come from the input itself.
/// </remarks>
public sealed class ExactlyOnceProcessor : IProcessor
{
    private readonly IProcessor _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public ExactlyOnceProcessor(IProcessor inner, int window = 1024)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _inner = inner;
        Window = window;
    }

    /// <summary>The wrapped processor's name (its state scope is unchanged by wrapping).</summary>
    public string Name => _inner.Name;

    /// <summary>Ids remembered per key.</summary>
    public int Window { get; }

    /// <summary>Messages dropped as duplicates since the pipeline was built.</summary>
    public long DuplicatesDropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(context);
        var logs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var fresh = new List<StreamMessage>(messages.Count);
        foreach (var message in messages)
        {
            var logKey = message.Key ?? message.Id;
            if (message.Id is null || logKey is null)
            {
                fresh.Add(message);
                continue;
            }

            if (!logs.TryGetValue(logKey, out var log))
            {
                log = await context.RuntimeState.GetAsync<List<string>>(logKey, cancellationToken).ConfigureAwait(false) ?? [];
                logs[logKey] = log;
            }

            if (log.Contains(message.Id, StringComparer.Ordinal))
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            log.Add(message.Id);
            if (log.Count > Window)
            {
                log.RemoveRange(0, log.Count - Window);
            }

            fresh.Add(message);
        }

        if (logs.Count > 0)
        {
            var batch = context.RuntimeState.CreateBatch();
            foreach (var (key, log) in logs)
            {
                batch.Set(key, log);
            }

            await context.RuntimeState.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        return fresh.Count == 0 ? [] : await _inner.ProcessAsync(fresh, context, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StreamMessage>> CompleteAsync(ProcessorContext context, CancellationToken cancellationToken) =>
        _inner.CompleteAsync(context, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StreamMessage>> OnTimerAsync(StreamTimer timer, ProcessorContext context, CancellationToken cancellationToken) =>
        _inner.OnTimerAsync(timer, context, cancellationToken);

}
