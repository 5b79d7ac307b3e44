using System.Globalization;

namespace FlowState.Streaming;

/// <summary>
/// The input of a <see cref="StateManager"/>: batches the caller submits, read by the pipeline in order. Its offset is
/// the number of messages read, so a checkpoint records how many submitted messages its state includes; after a
/// recovery the caller resends from there. Batches still queued at a recovery are dropped (their submitters are told).
/// </summary>
internal sealed class PushSource(string name) : ISource
{
    private readonly Lock _lock = new();
    private readonly Queue<Submitted> _queue = new();
    private long _position;
    private bool _completed;

    public string Name { get; } = name;

    public string? Offset
    {
        get
        {
            lock (_lock)
            {
                return _position.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Messages the pipeline has read since the beginning of the input.</summary>
    public long Position
    {
        get
        {
            lock (_lock)
            {
                return _position;
            }
        }
    }

    /// <summary>Queues a batch; the task completes with the position after it once the pipeline has read all of it.</summary>
    /// <exception cref="InvalidOperationException">The input was completed.</exception>
    public Task<long> SubmitAsync(IReadOnlyList<StreamMessage> messages)
    {
        lock (_lock)
        {
            if (_completed)
            {
                throw new InvalidOperationException($"The input '{Name}' was completed; no more batches can be processed.");
            }

            var submitted = new Submitted(messages);
            _queue.Enqueue(submitted);
            return submitted.Read.Task;
        }
    }

    /// <summary>No more batches: once the queued ones are read, the source ends (and a bounded run takes its final checkpoint).</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
        }
    }

    /// <summary>Fails every queued batch with <paramref name="reason"/>.</summary>
    public void Discard(Exception reason)
    {
        lock (_lock)
        {
            while (_queue.TryDequeue(out var submitted))
            {
                submitted.Read.TrySetException(reason);
            }
        }
    }

    public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken)
    {
        long position = 0;
        if (offset is not null && (!long.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out position) || position < 0))
        {
            throw new StreamSourceException($"'{offset}' is not an offset of the input '{Name}' (a count of messages).");
        }

        lock (_lock)
        {
            _position = position;
            _completed = false;
        }

        Discard(new StreamException($"A recovery dropped this batch of input '{Name}' before the pipeline read it; resend from position {position}."));
        return ValueTask.CompletedTask;
    }

    public ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_queue.Count == 0)
            {
                return ValueTask.FromResult(_completed ? SourceBatch.End : SourceBatch.Empty);
            }

            var messages = new List<StreamMessage>(Math.Min(maxMessages, _queue.Peek().Remaining));
            while (messages.Count < maxMessages && _queue.TryPeek(out var submitted))
            {
                var take = Math.Min(maxMessages - messages.Count, submitted.Remaining);
                for (var i = 0; i < take; i++)
                {
                    var message = submitted.Messages[submitted.Next++];
                    // A message without an id is named by its position, so that a resend after recovery gives it the same one.
                    messages.Add(message.Id is null
                        ? new StreamMessage(message.Key, message.Value, string.Create(CultureInfo.InvariantCulture, $"{Name}@{_position}"), message.Timestamp)
                        : message);
                    _position++;
                }

                if (submitted.Remaining == 0)
                {
                    _queue.Dequeue();
                    submitted.Read.TrySetResult(_position);
                }
            }

            return ValueTask.FromResult(new SourceBatch(messages, false));
        }
    }

    public ValueTask DisposeAsync()
    {
        Discard(new ObjectDisposedException(Name, $"The input '{Name}' was disposed before the pipeline read this batch."));
        return ValueTask.CompletedTask;
    }

    private sealed class Submitted(IReadOnlyList<StreamMessage> messages)
    {
        public IReadOnlyList<StreamMessage> Messages { get; } = messages;

        public int Next { get; set; }

        public int Remaining => Messages.Count - Next;

        public TaskCompletionSource<long> Read { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
