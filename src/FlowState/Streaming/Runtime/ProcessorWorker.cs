namespace FlowState.Streaming;

/// <summary>
/// Runs one partition of one processor: processes batches in order, snapshots the partition's state at each aligned
/// barrier, and passes output, barriers and end markers downstream.
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
            pipeline.Store.For(tracker.RuntimeScope(stage)));
        while (true)
        {
            var item = await inputs.NextAsync(cancellationToken).ConfigureAwait(false);
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

    private void Check(StreamWorkerTag tag, IProcessor processor)
    {
        if (tag.Violation is { } violation)
        {
            throw new StreamException(
                $"Processor '{processor.Name}' (partition {partition}) {violation}. Keep keyed state under the key of the message it belongs to (see ProcessorContext.State).");
        }
    }
}
