using System.Threading.Channels;

namespace FlowState.Streaming;

/// <summary>
/// Reads the inputs of one operator and aligns checkpoint barriers: once an input delivered barrier k it is not read
/// again until every input delivered k (or ended), so the operator's snapshot holds exactly the messages before k on
/// every input. Hands out batches, aligned barriers, one end-of-input (when every input reached it) and the end.
/// A newer barrier supersedes the one being aligned (that checkpoint timed out and was abandoned, so a source may never
/// send it): the inputs blocked on the old one are read again, and an old barrier arriving afterwards is dropped.
/// Watermarks are combined: the operator's is the lowest of its inputs that are neither idle nor at their end, handed out
/// when it moves; when every open input is idle, the highest of theirs, marked idle.
/// </summary>
internal sealed class BarrierAligner(IReadOnlyList<ChannelReader<StreamEvent>> inputs)
{
    private readonly bool[] _blocked = new bool[inputs.Count];
    private readonly bool[] _ended = new bool[inputs.Count];
    private readonly bool[] _endOfInput = new bool[inputs.Count];
    private readonly long[] _marks = CreateMarks(inputs.Count);
    private readonly bool[] _idle = new bool[inputs.Count];
    private long _mark = long.MinValue;
    private bool _markIdle;
    private long _aligning = -1;
    private long _lastAligned = -1;
    private bool _endOfInputSent;
    private int _next;

    public async ValueTask<StreamEvent> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            for (var k = 0; k < inputs.Count; k++)
            {
                var i = (_next + k) % inputs.Count;
                if (_blocked[i] || _ended[i] || !inputs[i].TryRead(out var item))
                {
                    continue;
                }

                _next = i + 1;
                if (Accept(i, item) is { } aligned)
                {
                    return aligned;
                }

                k = -1;
            }

            if (Array.TrueForAll(_ended, e => e))
            {
                return StreamEvent.End;
            }

            await WaitForAnyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private StreamEvent? Accept(int input, StreamEvent item)
    {
        switch (item)
        {
            case StreamEvent.Batch:
                return item;
            case StreamEvent.Watermark watermark:
                _marks[input] = Math.Max(_marks[input], watermark.Ticks);
                _idle[input] = watermark.Idle;
                return TryAdvanceWatermark();
            case StreamEvent.Barrier barrier:
                if (barrier.CheckpointId <= _lastAligned || (_aligning >= 0 && barrier.CheckpointId < _aligning))
                {
                    return null;
                }

                if (_aligning >= 0 && barrier.CheckpointId > _aligning)
                {
                    Array.Clear(_blocked);
                }

                _aligning = barrier.CheckpointId;
                _blocked[input] = true;
                return TryCompleteAlignment();
            default:
                if (ReferenceEquals(item, StreamEvent.EndOfInput))
                {
                    _endOfInput[input] = true;
                    return TryEndOfInput() ?? TryAdvanceWatermark();
                }

                _ended[input] = true;
                _endOfInput[input] = true;
                return TryCompleteAlignment() ?? TryEndOfInput() ?? TryAdvanceWatermark();
        }
    }

    private StreamEvent.Barrier? TryCompleteAlignment()
    {
        if (_aligning < 0)
        {
            return null;
        }

        for (var i = 0; i < inputs.Count; i++)
        {
            if (!_blocked[i] && !_ended[i])
            {
                return null;
            }
        }

        var aligned = new StreamEvent.Barrier(_aligning);
        _lastAligned = _aligning;
        _aligning = -1;
        Array.Clear(_blocked);
        return aligned;
    }

    private static long[] CreateMarks(int count)
    {
        var marks = new long[count];
        Array.Fill(marks, long.MinValue);
        return marks;
    }

    private StreamEvent.Watermark? TryAdvanceWatermark()
    {
        var lowest = long.MaxValue;
        var active = false;
        var open = false;
        for (var i = 0; i < _marks.Length; i++)
        {
            if (_endOfInput[i])
            {
                continue;
            }

            open = true;
            if (!_idle[i])
            {
                active = true;
                lowest = Math.Min(lowest, _marks[i]);
            }
        }

        if (!active)
        {
            if (!open)
            {
                // Every input ended: end of input fires what is left.
                return null;
            }

            // Every open input went idle: event time is as far as the furthest of them got (as Flink's valve does), so
            // windows of the last events still close.
            var highest = long.MinValue;
            for (var i = 0; i < _marks.Length; i++)
            {
                if (!_endOfInput[i])
                {
                    highest = Math.Max(highest, _marks[i]);
                }
            }

            if (_markIdle && highest <= _mark)
            {
                return null;
            }

            _mark = Math.Max(_mark, highest);
            _markIdle = true;
            return new StreamEvent.Watermark(_mark, idle: true);
        }

        if (lowest <= _mark && !_markIdle)
        {
            return null;
        }

        _mark = Math.Max(_mark, lowest);
        _markIdle = false;
        return new StreamEvent.Watermark(_mark, idle: false);
    }

    private StreamEvent? TryEndOfInput()
    {
        if (_endOfInputSent || !Array.TrueForAll(_endOfInput, e => e) || Array.TrueForAll(_ended, e => e))
        {
            return null;
        }

        _endOfInputSent = true;
        return StreamEvent.EndOfInput;
    }

    private async ValueTask WaitForAnyAsync(CancellationToken cancellationToken)
    {
        var waits = new List<Task<bool>>(inputs.Count);
        var owners = new List<int>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            if (_blocked[i] || _ended[i])
            {
                continue;
            }

            var wait = inputs[i].WaitToReadAsync(cancellationToken);
            if (wait.IsCompleted)
            {
                if (!wait.Result)
                {
                    throw new InvalidOperationException("An input of the pipeline closed without its end marker.");
                }

                return;
            }

            waits.Add(wait.AsTask());
            owners.Add(i);
        }

        if (waits.Count == 0)
        {
            throw new InvalidOperationException("Every open input is blocked on a barrier, yet the barrier is not aligned.");
        }

        var done = await Task.WhenAny(waits).ConfigureAwait(false);
        if (!await done.ConfigureAwait(false))
        {
            throw new InvalidOperationException("An input of the pipeline closed without its end marker.");
        }
    }
}
