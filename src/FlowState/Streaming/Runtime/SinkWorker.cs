namespace FlowState.Streaming;

/// <summary>
/// Feeds one sink: writes batches, and at each aligned barrier pre-commits the epoch's transaction (a plain sink is
/// flushed) and acknowledges it to the coordinator.
/// </summary>
internal sealed class SinkWorker(
    PipelineContext pipeline,
    CheckpointCoordinator coordinator,
    ISink sink,
    BarrierAligner inputs,
    Action onDrained,
    Action onPreCommitted)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var sinkLock = pipeline.SinkLock(sink);
        while (true)
        {
            var item = await inputs.NextAsync(cancellationToken).ConfigureAwait(false);
            switch (item)
            {
                case StreamEvent.Batch batch:
                    await sinkLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        await sink.WriteAsync(batch.Messages, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        sinkLock.Release();
                    }

                    pipeline.CountWritten(batch.Messages.Count);
                    break;
                case StreamEvent.Barrier barrier:
                    string? handle = null;
                    await sinkLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (sink is TwoPhaseCommitSink transactional)
                        {
                            handle = await transactional.PreCommitEpochAsync(cancellationToken, barrier.CheckpointId).ConfigureAwait(false);
                        }
                        else
                        {
                            await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        sinkLock.Release();
                    }

                    if (handle is not null)
                    {
                        onPreCommitted();
                    }

                    coordinator.AcknowledgeSink(barrier.CheckpointId, sink.Name, handle);
                    break;
                case StreamEvent.Watermark:
                    break;
                default:
                    if (ReferenceEquals(item, StreamEvent.EndOfInput))
                    {
                        if (coordinator.Drained())
                        {
                            onDrained();
                        }

                        break;
                    }

                    return;
            }
        }
    }
}
