namespace FlowState.Streaming;

/// <summary>
/// Reads one source and sends its messages on; between two reads it injects the barrier the coordinator asked for,
/// acknowledging the offset reached. A bounded source that ended keeps injecting barriers until the final one. With
/// watermarks on, it sends one after each batch that moved its latest event time (that time minus the allowed
/// out-of-orderness), and an idle one when it read nothing for the idle timeout.
/// </summary>
internal sealed class SourceWorker(PipelineContext pipeline, CheckpointCoordinator coordinator, ISource source, EdgeRouter router)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Not the barrier requested now: the first one may be requested before this task gets a thread.
        var injected = coordinator.InitialBarrier;
        var finished = false;
        var marks = pipeline.Options.Watermarks;
        var time = pipeline.Options.TimeProvider;
        var latestEvent = long.MinValue;
        var sentMark = long.MinValue;
        var idle = false;
        var lastReadAt = time.GetUtcNow();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var requested = coordinator.RequestedBarrier;
            if (requested > injected)
            {
                coordinator.AcknowledgeSource(requested, source.Name, source.Offset);
                await router.BroadcastAsync(new StreamEvent.Barrier(requested), cancellationToken).ConfigureAwait(false);
                injected = requested;
                if (requested == coordinator.FinalBarrier)
                {
                    await router.BroadcastAsync(StreamEvent.End, cancellationToken).ConfigureAwait(false);
                    router.Complete();
                    return;
                }

                continue;
            }

            if (finished)
            {
                await coordinator.BarrierRequestedAfter(injected).WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var batch = await source.ReadAsync(pipeline.Options.BatchSize, cancellationToken).ConfigureAwait(false);
            if (batch.Messages.Count > 0)
            {
                pipeline.CountRead(batch.Messages.Count);
                await router.SendAsync(batch.Messages, cancellationToken).ConfigureAwait(false);
                if (marks is not null)
                {
                    lastReadAt = time.GetUtcNow();
                    foreach (var message in batch.Messages)
                    {
                        latestEvent = Math.Max(latestEvent, message.Timestamp.UtcTicks);
                    }

                    var mark = latestEvent - Math.Min(marks.MaxOutOfOrderness.Ticks, latestEvent - DateTimeOffset.MinValue.UtcTicks);
                    if (mark > sentMark || idle)
                    {
                        sentMark = Math.Max(mark, sentMark);
                        idle = false;
                        await router.BroadcastAsync(new StreamEvent.Watermark(sentMark, idle: false), cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            if (batch.EndOfStream)
            {
                finished = true;
                await router.BroadcastAsync(StreamEvent.EndOfInput, cancellationToken).ConfigureAwait(false);
            }
            else if (batch.Messages.Count == 0)
            {
                if (marks?.IdleTimeout is { } idleAfter && !idle && time.GetUtcNow() - lastReadAt >= idleAfter)
                {
                    idle = true;
                    await router.BroadcastAsync(new StreamEvent.Watermark(sentMark, idle: true), cancellationToken).ConfigureAwait(false);
                }

                await Task.WhenAny(Task.Delay(pipeline.Options.PollInterval, cancellationToken), coordinator.BarrierRequestedAfter(injected)).ConfigureAwait(false);
            }
        }
    }
}
