using System.Text.Json;

namespace FlowState;

/// <summary>
/// The property names of one JSON object, for duplicate detection without allocating a string per name: unescaped
/// names are compared as raw UTF-8 ranges of the value; an object with an escaped name, or with many names, falls
/// back to a set of decoded strings (so <c>"a"</c> and <c>"\u0061"</c> are still the same name).
/// </summary>
internal sealed class PropertyNameSet
{
    private const int LinearLimit = 16;

    private readonly List<(int Start, int Length)> _raw = [];
    private HashSet<string>? _decoded;

    public void Clear()
    {
        _raw.Clear();
        _decoded = null;
    }

    /// <summary>Adds the property name the reader is on; false when the object already has it.</summary>
    public bool Add(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        if (_decoded is null && !reader.ValueIsEscaped && !reader.HasValueSequence && _raw.Count < LinearLimit)
        {
            var start = (int)reader.TokenStartIndex + 1; // past the opening quote
            var name = json.Slice(start, reader.ValueSpan.Length);
            foreach (var (s, l) in _raw)
            {
                if (json.Slice(s, l).SequenceEqual(name))
                {
                    return false;
                }
            }

            _raw.Add((start, name.Length));
            return true;
        }

        if (_decoded is null)
        {
            _decoded = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (s, l) in _raw)
            {
                _decoded.Add(System.Text.Encoding.UTF8.GetString(json.Slice(s, l)));
            }
        }

        return _decoded.Add(reader.GetString()!);
    }
}
