using System.Buffers;
using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// The values of one processed batch, written side by side into one JSON array and parsed once: each message's value is
/// an element of that one document. A <see cref="JsonElement"/> needs a document, and one document per message (what
/// <see cref="JsonSerializer.SerializeToElement{TValue}(TValue, JsonSerializerOptions?)"/> makes) was the largest
/// cost of a word count's message after the sink's writes.
/// </summary>
internal sealed class JsonValueBatch : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer;
    private int _count;

    public JsonValueBatch(int expectedValues)
    {
        _buffer = new ArrayBufferWriter<byte>(Math.Max(256, expectedValues * 32));
        Writer = new Utf8JsonWriter(_buffer);
        Writer.WriteStartArray();
    }

    /// <summary>Writes the next value (exactly one per <see cref="Next"/>).</summary>
    public Utf8JsonWriter Writer { get; }

    /// <summary>Counts the value just written.</summary>
    public void Next() => _count++;

    /// <summary>The values written, in order.</summary>
    public JsonElement[] Parse()
    {
        Writer.WriteEndArray();
        Writer.Flush();
        var values = new JsonElement[_count];
        if (_count == 0)
        {
            return values;
        }

        // Not disposed: the elements handed out read the document for as long as their messages live.
        var document = JsonDocument.Parse(_buffer.WrittenMemory.ToArray());
        var i = 0;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            values[i++] = element;
        }

        return values;
    }

    public void Dispose() => Writer.Dispose();
}
