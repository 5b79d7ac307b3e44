using System.Buffers;
using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// The values of one processed batch, written side by side into JSON arrays of about 32 KiB and parsed once per array:
/// each message's value is an element of one of those documents. A <see cref="JsonElement"/> needs a document, and one
/// document per message (what <see cref="JsonSerializer.SerializeToElement{TValue}(TValue, JsonSerializerOptions?)"/>
/// makes) was the largest cost of a word count's message after the sink's writes. The arrays stay small so that
/// neither they nor their documents land on the large object heap, whose collections are full ones.
/// </summary>
internal sealed class JsonValueBatch : IDisposable
{
    private const int ChunkBytes = 32 * 1024;
    private readonly ArrayBufferWriter<byte> _buffer = new(ChunkBytes + 4096);
    private JsonElement[] _values;
    private int _count;
    private int _parsed;

    public JsonValueBatch(int expectedValues)
    {
        _values = ArrayPool<JsonElement>.Shared.Rent(Math.Max(16, expectedValues));
        Writer = new Utf8JsonWriter(_buffer);
        Writer.WriteStartArray();
    }

    /// <summary>Writes the next value (exactly one per <see cref="Next"/>).</summary>
    public Utf8JsonWriter Writer { get; }

    /// <summary>Counts the value just written.</summary>
    public void Next()
    {
        _count++;
        if (Writer.BytesPending + _buffer.WrittenCount >= ChunkBytes)
        {
            ParseChunk();
        }
    }

    /// <summary>Parses what is left; then <see cref="this[int]"/> holds every value, in the order written.</summary>
    public void Complete()
    {
        if (_parsed < _count)
        {
            ParseChunk();
        }
    }

    public JsonElement this[int index] => index < _parsed ? _values[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Dispose()
    {
        Writer.Dispose();
        // Cleared, so that the pool does not keep the documents alive.
        ArrayPool<JsonElement>.Shared.Return(_values, clearArray: true);
        _values = [];
    }

    private void ParseChunk()
    {
        Writer.WriteEndArray();
        Writer.Flush();
        if (_values.Length < _count)
        {
            var larger = ArrayPool<JsonElement>.Shared.Rent(_count * 2);
            _values.AsSpan(0, _parsed).CopyTo(larger);
            ArrayPool<JsonElement>.Shared.Return(_values, clearArray: true);
            _values = larger;
        }

        // ParseValue: a document that owns exactly-sized memory of its own, which the elements handed out read for as
        // long as their messages live (nothing rented that would never go back to its pool).
        var reader = new Utf8JsonReader(_buffer.WrittenSpan);
        foreach (var element in JsonElement.ParseValue(ref reader).EnumerateArray())
        {
            _values[_parsed++] = element;
        }

        _buffer.ResetWrittenCount();
        Writer.Reset(_buffer);
        Writer.WriteStartArray();
    }
}
