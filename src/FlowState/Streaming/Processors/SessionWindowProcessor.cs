using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// Gap-based session windows per key: events of a key whose times are at most <see cref="Gap"/> apart form one session
/// (kept in keyed state). A session closes — emitted as a <see cref="Session"/> — when the watermark passes its last
/// event by more than the gap (an event-time timer, so it closes while the pipeline runs, with
/// <see cref="StreamPipelineOptions.Watermarks"/> on, even if its key sees no more events), or when an event of its key
/// later than the gap arrives first (that event opens the next). When the input ends, the sessions still open are
/// emitted.
/// </summary>
public sealed class SessionWindowProcessor(string name, TimeSpan gap) : IProcessor
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The largest time between two events of one session.</summary>
    public TimeSpan Gap { get; } = gap > TimeSpan.Zero ? gap : throw new ArgumentOutOfRangeException(nameof(gap), "The session gap must be positive.");

    /// <summary>
    /// The property with the event time (an ISO 8601 string, or milliseconds since the Unix epoch); null, or missing in a
    /// message: the message's timestamp.
    /// </summary>
    public string? TimeField { get; init; }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(context);
        var open = new Dictionary<string, Session?>(StringComparer.Ordinal);
        var loaded = new Dictionary<string, Session?>(StringComparer.Ordinal);
        var closed = new List<StreamMessage>();
        foreach (var message in messages)
        {
            var key = message.Key ?? throw new StreamException(
                $"Processor '{Name}' keeps sessions per key, and message '{message.Id ?? "(no id)"}' has no key; give its source a key field.");
            var time = TimeOf(message);
            if (!open.TryGetValue(key, out var session))
            {
                session = await context.State.GetAsync(key, StreamJsonContext.Default.Session, cancellationToken).ConfigureAwait(false);
                loaded[key] = session;
            }

            if (session is not null && (time - session.End > Gap || session.Start - time > Gap))
            {
                closed.Add(Emit(session));
                session = null;
            }

            open[key] = session is null
                ? new Session(key, time, time, 1)
                : session with { Start = time < session.Start ? time : session.Start, End = time > session.End ? time : session.End, Events = session.Events + 1 };
        }

        var batch = context.State.CreateBatch();
        foreach (var (key, session) in open)
        {
            batch.Set(key, session!, StreamJsonContext.Default.Session);
            if (loaded[key] is { } before && before.End != session!.End)
            {
                await context.Timers.DeleteEventTimeTimerAsync(key, ClosesAt(before), cancellationToken).ConfigureAwait(false);
            }

            await context.Timers.RegisterEventTimeTimerAsync(key, ClosesAt(session!), cancellationToken).ConfigureAwait(false);
        }

        await context.State.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        return closed;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> OnTimerAsync(StreamTimer timer, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        ArgumentNullException.ThrowIfNull(context);
        if (await context.State.GetAsync(timer.Key, StreamJsonContext.Default.Session, cancellationToken).ConfigureAwait(false) is not { } session
            || ClosesAt(session) != timer.Time)
        {
            return [];
        }

        await context.State.DeleteAsync(timer.Key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [Emit(session)];
    }

    // The first instant more than the gap after the session's last event: a watermark there closes it.
    private DateTimeOffset ClosesAt(Session session) => session.End + Gap + TimeSpan.FromTicks(1);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> CompleteAsync(ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var closed = new List<StreamMessage>();
        var batch = context.State.CreateBatch();
        await foreach (var key in context.State.ListKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!context.Owns(key))
            {
                continue;
            }

            if (await context.State.GetAsync(key, StreamJsonContext.Default.Session, cancellationToken).ConfigureAwait(false) is { } session)
            {
                closed.Add(Emit(session));
                batch.Delete(key);
            }
        }

        await context.State.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        return [.. closed.OrderBy(m => m.Key, StringComparer.Ordinal)];
    }

    private static StreamMessage Emit(Session session) =>
        new(session.Key, JsonSerializer.SerializeToElement(session, StreamJsonContext.Default.Session), null, session.End);

    private DateTimeOffset TimeOf(StreamMessage message) =>
        EventTimeField.Read(message.Value, TimeField, problem => new StreamException($"Processor '{Name}': message '{message.Id ?? "(no id)"}' has no usable time: {problem}.")) ?? message.Timestamp;
}
