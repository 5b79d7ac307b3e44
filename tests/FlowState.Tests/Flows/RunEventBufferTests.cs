using FlowState.Flows;

namespace FlowState.Tests.Flows;

public sealed class RunEventBufferTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_event_written_while_the_watcher_waits_is_handed_to_it_before_the_write_returns()
    {
        var buffer = new RunEventBuffer(capacity: 4);
        var read = buffer.ReadAsync(CancellationToken.None);
        Assert.False(read.IsCompleted, "nothing was written yet");
        var reader = ReadOnAsync(read, buffer);

        var first = Event(0);
        Assert.True(buffer.TryWrite(first));

        // The watcher ran on the writer, inline: its continuation has finished before the write returned.
        Assert.True(reader.IsCompleted, "the waiting watcher was handed the event inline");
        Assert.Same(first, await reader);
        Assert.True(buffer.TryWrite(Event(1)));
        Assert.Equal([1], await ReadAsync(buffer, 1));
    }

    [Fact]
    public async Task A_full_buffer_makes_the_writer_wait_until_the_watcher_reads()
    {
        var buffer = new RunEventBuffer(capacity: 2);
        Assert.True(buffer.TryWrite(Event(0)));
        Assert.True(buffer.TryWrite(Event(1)));
        Assert.False(buffer.TryWrite(Event(2)), "a full buffer refuses a third event");

        var writing = buffer.WriteAsync(Event(2), CancellationToken.None).AsTask();
        Assert.False(writing.IsCompleted, "the writer waits for room");
        Assert.True(await buffer.ReadAsync(CancellationToken.None));
        Assert.Equal(0, buffer.Current.StepIndex);
        await writing.WaitAsync(Wait);

        Assert.Equal([1, 2], await ReadAsync(buffer, 2));
    }

    [Fact]
    public async Task A_watcher_that_leaves_releases_a_waiting_writer_and_keeps_nothing_after()
    {
        var buffer = new RunEventBuffer(capacity: 1);
        Assert.True(buffer.TryWrite(Event(0)));
        var writing = buffer.WriteAsync(Event(1), CancellationToken.None).AsTask();
        Assert.False(writing.IsCompleted, "the writer waits for room");

        buffer.Leave();
        await writing.WaitAsync(Wait);
        Assert.True(buffer.TryWrite(Event(2)), "a watcher that left takes every later event");
        buffer.Complete();
        Assert.False(await buffer.ReadAsync(CancellationToken.None), "nothing was kept after the watcher left");
    }

    [Fact]
    public async Task Completion_ends_the_reads_after_the_queued_events_and_passes_on_its_error()
    {
        var buffer = new RunEventBuffer(capacity: 4);
        Assert.True(buffer.TryWrite(Event(0)));
        Assert.True(buffer.TryWrite(Event(1)));
        buffer.Complete(new InvalidOperationException("the run could not start"));

        Assert.Equal([0, 1], await ReadAsync(buffer, 2));
        Assert.False(buffer.Ended);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => buffer.ReadAsync(CancellationToken.None).AsTask());
        Assert.Equal("the run could not start", failure.Message);
        Assert.True(buffer.Ended);

        var waiting = new RunEventBuffer(capacity: 4);
        var read = waiting.ReadAsync(CancellationToken.None).AsTask();
        waiting.Complete();
        Assert.False(await read.WaitAsync(Wait), "a waiting read ends when the events are completed");
    }

    [Fact]
    public async Task A_cancelled_read_throws_and_the_next_read_gets_the_next_event()
    {
        var buffer = new RunEventBuffer(capacity: 4);
        using var cancel = new CancellationTokenSource();
        var read = buffer.ReadAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Wait));

        Assert.True(buffer.TryWrite(Event(7)));
        Assert.Equal([7], await ReadAsync(buffer, 1));
    }

    [Fact]
    public async Task A_watch_read_to_its_end_leaves_the_run_s_stream_without_being_disposed()
    {
        var hub = new RunEventHub(capacity: 4);
        var events = RunEventReader.Watch(hub, "run-1", CancellationToken.None).GetAsyncEnumerator();
        var stream = hub.Attach("run-1");
        Assert.True(stream.IsWatched);

        await stream.PublishAsync(new FlowEvent { Kind = FlowEventKind.RunCompleted, RunId = "run-1", Flow = "flow", Timestamp = DateTimeOffset.UnixEpoch }, CancellationToken.None);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(FlowEventKind.RunCompleted, events.Current.Kind);
        Assert.False(await events.MoveNextAsync());

        Assert.False(stream.IsWatched, "the watcher left when its events ended, before any dispose");
        hub.Detach(stream);
        Assert.NotSame(stream, hub.Attach("run-1"));
    }

    private static async Task<FlowEvent> ReadOnAsync(ValueTask<bool> read, RunEventBuffer buffer)
    {
        // Without the test framework's synchronization context, which would queue the continuation instead.
        Assert.True(await read.ConfigureAwait(false));
        return buffer.Current;
    }

    private static async Task<List<int>> ReadAsync(RunEventBuffer buffer, int count)
    {
        var read = new List<int>();
        for (var i = 0; i < count; i++)
        {
            Assert.True(await buffer.ReadAsync(CancellationToken.None));
            read.Add(buffer.Current.StepIndex!.Value);
        }

        return read;
    }

    private static FlowEvent Event(int index) =>
        new() { Kind = FlowEventKind.StepCommitted, RunId = "run", Flow = "flow", Timestamp = DateTimeOffset.UnixEpoch, Node = "a", StepIndex = index };
}
