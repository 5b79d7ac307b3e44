using System.Runtime.CompilerServices;
using System.Text.Json;

namespace FlowState.Flows;

/// <summary>
/// Follows a run through its store's change feed (<see cref="FlowRunner.FollowAsync"/>): a step's commit is one batch —
/// its writes, then its frame's position (which names the node that ran), then the run record — so the changes of one
/// version make one step event, and the run record's status makes the run's events. Works for runs of any process the
/// feed carries.
/// </summary>
internal sealed class RunFollower(IStateStoreRoot store, string runId, int valueLimit)
{
    private const string FramePrefix = "frame:";
    private readonly StateScope _bookkeeping = RunExecution.BookkeepingScopeOf(runId);
    private long _sequence;

    /// <summary>The run's events from <paramref name="changes"/>, the feed of the run's scope subscribed before anything is read.</summary>
    public async IAsyncEnumerable<FlowEvent> FollowAsync(IAsyncEnumerable<StateChange> changes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // What the run record was when the follow began; a change of a later version replaced it.
        var entry = await store.For(_bookkeeping).GetEntryAsync(RunExecution.RunKey, cancellationToken).ConfigureAwait(false);
        var previous = entry?.Deserialize(FlowRecordsJsonContext.Default.RunRecord);
        var previousVersion = entry?.Version ?? 0;
        if (previous is { Status: FlowRunStatus.Completed })
        {
            // An interrupted or failed run may still be resumed, so that is followed; a completed one is over.
            yield return Final(previous)!;
            yield break;
        }

        var version = -1L;
        var written = new List<FlowKeyChange>();
        (string? Node, string Frame, int Index)? step = null;
        var starts = false;
        string? lastAction = null;
        await foreach (var change in changes.ConfigureAwait(false))
        {
            if (change.Version != version)
            {
                version = change.Version;
                written.Clear();
                step = null;
                starts = false;
            }

            if (change.Scope != _bookkeeping)
            {
                if (!_bookkeeping.Contains(change.Scope))
                {
                    written.Add(KeyChange(change));
                }

                continue;
            }

            var set = change.Kind is StateChangeKind.Set or StateChangeKind.Merged;
            if (change.Key.StartsWith(FramePrefix, StringComparison.Ordinal))
            {
                if (set)
                {
                    var frame = JsonSerializer.Deserialize(change.Value.Span, FlowRecordsJsonContext.Default.FrameRecord)!;
                    var frameId = change.Key[FramePrefix.Length..];
                    step = (frame.Ran, frameId, frame.Steps - 1);
                    if (frameId.Length == 0 && frame.Done)
                    {
                        lastAction = frame.Action;
                    }
                }

                continue;
            }

            if (change.Key == RunExecution.GraphKey)
            {
                // Written with the run's first record only: this commit starts the run.
                starts = set;
                continue;
            }

            if (change.Key != RunExecution.RunKey)
            {
                continue;
            }

            if (!set)
            {
                // The run's state went away: a run not kept after it completed, or a deleted run.
                if (lastAction is not null)
                {
                    yield return New(FlowEventKind.RunCompleted, previous?.Flow ?? string.Empty) with { Action = lastAction, Steps = previous?.Steps };
                }

                yield break;
            }

            var now = JsonSerializer.Deserialize(change.Value.Span, FlowRecordsJsonContext.Default.RunRecord)!;
            var before = change.Version > previousVersion ? previous : null;
            if (starts)
            {
                yield return New(FlowEventKind.RunStarted, now.Flow) with { Steps = now.Steps };
            }
            else if (now.Status == FlowRunStatus.Running && before is { Status: not FlowRunStatus.Running })
            {
                yield return New(FlowEventKind.RunResumed, now.Flow) with { Steps = now.Steps };
            }

            if (step is { } committed)
            {
                yield return New(FlowEventKind.StepCommitted, now.Flow) with
                {
                    Node = committed.Node,
                    Frame = committed.Frame,
                    StepIndex = committed.Index,
                    Changes = [.. written],
                    Steps = now.Steps,
                };
            }

            previous = now;
            previousVersion = change.Version;
            if (Final(now) is { } final)
            {
                yield return final with { Action = now.Status == FlowRunStatus.Completed ? lastAction : null };
                yield break;
            }
        }
    }

    /// <summary>The last event of a run that stopped (interrupted, completed, failed); null while it runs.</summary>
    private FlowEvent? Final(RunRecord record) => record.Status switch
    {
        FlowRunStatus.Interrupted => New(FlowEventKind.RunInterrupted, record.Flow) with { Node = record.Interrupt?.Node, Question = record.Interrupt?.Reason, Steps = record.Steps },
        FlowRunStatus.Completed => New(FlowEventKind.RunCompleted, record.Flow) with { Steps = record.Steps },
        FlowRunStatus.Failed => New(FlowEventKind.RunFailed, record.Flow) with { Error = record.Error, Steps = record.Steps },
        _ => null,
    };

    private FlowEvent New(FlowEventKind kind, string flow) =>
        new() { Kind = kind, RunId = runId, Flow = flow, Timestamp = store.Time.GetUtcNow(), Sequence = ++_sequence };

    /// <summary>A key the step wrote; the value before is known only where the feed carries it (not on shared stores).</summary>
    private FlowKeyChange KeyChange(StateChange change)
    {
        var deleted = change.Kind is StateChangeKind.Deleted or StateChangeKind.Expired or StateChangeKind.Evicted;
        return FlowKeyChange.FromUtf8(
            change.Scope.Path,
            change.Key,
            change.PreviousValue.IsEmpty ? default(ReadOnlyMemory<byte>?) : change.PreviousValue,
            deleted ? default(ReadOnlyMemory<byte>?) : change.Value,
            valueLimit);
    }
}
