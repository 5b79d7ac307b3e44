using System.Globalization;
using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>A never-ending source over a list the test grows; it hands out only as many messages as were released.</summary>
public sealed class GatedSource(string name, List<StreamMessage> messages) : ISource
{
    private int _next;
    private int _released;

    public string Name { get; } = name;

    public string? Offset => _next == 0 ? null : _next.ToString(CultureInfo.InvariantCulture);

    public void Release(int count) => Interlocked.Add(ref _released, count);

    public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken)
    {
        _next = offset is null ? 0 : int.Parse(offset, CultureInfo.InvariantCulture);
        return ValueTask.CompletedTask;
    }

    public ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var available = Math.Min(Volatile.Read(ref _released), messages.Count);
        var batch = messages.Skip(_next).Take(Math.Min(maxMessages, available - _next)).ToList();
        _next += batch.Count;
        return ValueTask.FromResult(new SourceBatch(batch, false));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
