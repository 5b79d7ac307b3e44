using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FlowState.Inspector;

/// <summary>How values leave the inspector: redacted by key pattern, cut past the inline limit.</summary>
internal sealed class InspectorValues
{
    public const string RedactedText = "(redacted)";

    private readonly Regex? _redacted;
    private readonly int _inlineLimit;

    public InspectorValues(FlowStateInspectorOptions options)
    {
        _inlineLimit = options.InlineValueLimit;
        if (options.RedactedKeys.Count > 0)
        {
            // A glob per pattern; '*' is the only wildcard, everything else is literal.
            var alternatives = options.RedactedKeys.Select(p => "^" + Regex.Escape(p).Replace("\\*", ".*", StringComparison.Ordinal) + "$");
            _redacted = new Regex(string.Join('|', alternatives), RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        }
    }

    public bool IsRedacted(string key) => _redacted?.IsMatch(key) == true;

    /// <summary>A value to show: the JSON itself when small enough, else a preview of its first bytes.</summary>
    public ValueView View(string key, ReadOnlySpan<byte> utf8Json)
    {
        if (IsRedacted(key))
        {
            return new ValueView(JsonValue.Create(RedactedText), utf8Json.Length, Truncated: false, Redacted: true);
        }

        if (utf8Json.Length > _inlineLimit)
        {
            // Cut on a character boundary: the preview must stay valid text.
            var cut = _inlineLimit;
            while (cut > 0 && (utf8Json[cut] & 0xC0) == 0x80)
            {
                cut--;
            }

            return new ValueView(JsonValue.Create(Encoding.UTF8.GetString(utf8Json[..cut])), utf8Json.Length, Truncated: true, Redacted: false);
        }

        return new ValueView(JsonNode.Parse(utf8Json), utf8Json.Length, Truncated: false, Redacted: false);
    }

    /// <summary>A run field or step value (already parsed) to show: redacted, replaced by its size past the limit, or a copy to attach.</summary>
    public JsonNode? Field(string key, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }

        if (IsRedacted(key))
        {
            return JsonValue.Create(RedactedText);
        }

        var bytes = Encoding.UTF8.GetByteCount(value.ToJsonString());
        return bytes > _inlineLimit ? JsonValue.Create($"({bytes} bytes; open the key to download it)") : value.DeepClone();
    }
}
