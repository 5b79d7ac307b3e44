using System.Globalization;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

/// <summary>A source over a fixed list of messages; the offset is the index of the next one.</summary>
public sealed class ListSource(string name, IReadOnlyList<StreamMessage> messages) : ISource
{
    private int _next;

    public string Name { get; } = name;

    public string? Offset => _next == 0 ? null : _next.ToString(CultureInfo.InvariantCulture);

    public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken)
    {
        _next = offset is null ? 0 : int.Parse(offset, CultureInfo.InvariantCulture);
        return ValueTask.CompletedTask;
    }

    public ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var batch = messages.Skip(_next).Take(maxMessages).ToList();
        _next += batch.Count;
        return ValueTask.FromResult(new SourceBatch(batch, _next == messages.Count));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
