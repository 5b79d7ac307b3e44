using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using FlowState.Streaming;

namespace FlowState.Benchmarks.Streaming;

/// <summary>
/// A never-ending source of keyed messages the benchmark queues; the offset counts the messages handed out. With
/// <paramref name="withIds"/>, each message's id is its position (what <see cref="ExactlyOnceProcessor"/> logs).
/// </summary>
internal sealed class SyntheticKeySource(string name, bool withIds = false) : ISource
{
    private static readonly JsonElement One = JsonSerializer.SerializeToElement(1);
    private readonly ConcurrentQueue<string> _keys = new();
    private long _handedOut;

    public string Name { get; } = name;

    public string? Offset => _handedOut == 0 ? null : _handedOut.ToString(CultureInfo.InvariantCulture);

    public long HandedOut => Interlocked.Read(ref _handedOut);

    public void Emit(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            _keys.Enqueue(key);
        }
    }

    public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken)
    {
        _handedOut = offset is null ? 0 : long.Parse(offset, CultureInfo.InvariantCulture);
        return ValueTask.CompletedTask;
    }

    public ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var batch = new List<StreamMessage>(Math.Min(maxMessages, _keys.Count));
        while (batch.Count < maxMessages && _keys.TryDequeue(out var key))
        {
            batch.Add(new StreamMessage(key, One, withIds ? (_handedOut + batch.Count).ToString(CultureInfo.InvariantCulture) : null));
        }

        Interlocked.Add(ref _handedOut, batch.Count);
        return ValueTask.FromResult(new SourceBatch(batch, false));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
