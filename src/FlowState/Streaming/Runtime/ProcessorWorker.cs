namespace FlowState.Streaming;

/// <summary>
/// Runs one partition of one processor: processes batches in order, fires its timers between them (event-time ones as
/// the watermark moves, processing-time ones as the clock reaches them), snapshots the partition's state at each aligned
/// barrier, and passes output, watermarks, barriers and end markers downstream.
/// </summary>
internal sealed class ProcessorWorker(
    PipelineContext pipeline,
    CheckpointCoordinator coordinator,
    StreamStateTracker tracker,
    int stage,
    int partition,
    BarrierAligner inputs,
    EdgeRouter router,
    bool terminal,
    Action onTerminalDrained)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var processor = pipeline.Processors[stage];
        var tag = new StreamWorkerTag(stage, partition);
        tracker.Enter(tag);
        var context = new ProcessorContext(
            pipeline.Name,
            processor.Name,
            partition,
            pipeline.Options.Partitions,
            pipeline.Store.For(tracker.StageScope(stage)),
            pipeline.Store.For(tracker.RuntimeScope(stage)),
            pipeline.Options.TimeProvider,
            () => coordinator.Completed,
            pipeline.Store.ListChildScopes);
        var time = pipeline.Options.TimeProvider;
        var timers = context.Timers;
        await timers.LoadAsync(cancellationToken).ConfigureAwait(false);
        Task<StreamEvent>? waiting = null;
        while (true)
        {
            StreamEvent item;
            if (waiting is null && timers.NextProcessingTime is null)
            {
                item = await inputs.NextAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Wait for input or the next processing-time timer, whichever comes first; the read stays pending.
                waiting ??= inputs.NextAsync(cancellationToken).AsTask();
                if (!waiting.IsCompleted && timers.NextProcessingTime is { } due)
                {
                    using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var delay = due - time.GetUtcNow();
                    var timer = delay > TimeSpan.Zero ? Task.Delay(delay, time, stopDelay.Token) : Task.CompletedTask;
                    if (!timer.IsCompleted && time.GetUtcNow() >= due)
                    {
                        // The clock passed the timer between its read and the delay's start (a test clock advanced by
                        // another thread): the delay, counted from the clock's new time, would wait a period too long.
                        timer = Task.CompletedTask;
                    }

                    if (await Task.WhenAny(waiting, timer).ConfigureAwait(false) != waiting)
                    {
                        await FireAsync(StreamTimeDomain.ProcessingTime, time.GetUtcNow().UtcTicks, processor, context, tag, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    await stopDelay.CancelAsync().ConfigureAwait(false);
                }

                item = await waiting.ConfigureAwait(false);
                waiting = null;
            }

            switch (item)
            {
                case StreamEvent.Batch batch:
                    var output = await processor.ProcessAsync(batch.Messages, context, cancellationToken).ConfigureAwait(false);
                    Check(tag, processor);
                    if (stage == 0)
                    {
                        pipeline.CountProcessed(batch.Messages.Count);
                    }

                    await router.SendAsync(output, cancellationToken).ConfigureAwait(false);
                    break;
                case StreamEvent.Watermark watermark:
                    timers.AdvanceWatermark(watermark.Ticks);
                    await FireAsync(StreamTimeDomain.EventTime, watermark.Ticks, processor, context, tag, cancellationToken).ConfigureAwait(false);

                    if (!terminal)
                    {
                        await router.BroadcastAsync(watermark, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case StreamEvent.Barrier barrier:
                    if (coordinator.SnapshotsState)
                    {
                        coordinator.AcknowledgeState(barrier.CheckpointId, stage, partition, tracker.TakeSnapshot(stage, partition, coordinator.IsFull(barrier.CheckpointId)));
                    }

                    await router.BroadcastAsync(barrier, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    if (ReferenceEquals(item, StreamEvent.EndOfInput))
                    {
                        // The end of a bounded input is the end of event time: every event-time timer left fires.
                        timers.AdvanceWatermark(DateTimeOffset.MaxValue.UtcTicks);
                        await FireAsync(StreamTimeDomain.EventTime, long.MaxValue, processor, context, tag, cancellationToken).ConfigureAwait(false);
                        var last = await processor.CompleteAsync(context, cancellationToken).ConfigureAwait(false);
                        Check(tag, processor);
                        await router.SendAsync(last, cancellationToken).ConfigureAwait(false);
                        if (!terminal)
                        {
                            await router.BroadcastAsync(StreamEvent.EndOfInput, cancellationToken).ConfigureAwait(false);
                        }
                        else if (coordinator.Drained())
                        {
                            onTerminalDrained();
                        }

                        break;
                    }

                    await router.BroadcastAsync(StreamEvent.End, cancellationToken).ConfigureAwait(false);
                    router.Complete();
                    return;
            }
        }
    }

    /// <summary>Fires, in time order, every timer of <paramref name="domain"/> due at <paramref name="upTo"/> and passes on what they emit.</summary>
    private async ValueTask FireAsync(StreamTimeDomain domain, long upTo, IProcessor processor, ProcessorContext context, StreamWorkerTag tag, CancellationToken cancellationToken)
    {
        while (await context.Timers.TakeDueAsync(domain, upTo, cancellationToken).ConfigureAwait(false) is { } timer)
        {
            var output = await processor.OnTimerAsync(timer, context, cancellationToken).ConfigureAwait(false);
            Check(tag, processor);
            await router.SendAsync(output, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Check(StreamWorkerTag tag, IProcessor processor)
    {
        if (tag.Violation is { } violation)
        {
            throw new StreamException(
                $"Processor '{processor.Name}' (partition {partition}) {violation}. Keep keyed state under the key of the message it belongs to (see ProcessorContext.State).");
        }
    }
}
