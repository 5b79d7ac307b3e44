using System.Globalization;
using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// Splits text into words: each message's value (a JSON string, or the string property <see cref="Field"/> of an
/// object) becomes one message per word, keyed by the word in lower case. Keeps no state.
/// </summary>
public sealed class TokenizeProcessor(string name) : IProcessor
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The property holding the text when values are objects; null: the value itself is the text.</summary>
    public string? Field { get; init; }

    /// <summary>Words shorter than this are dropped.</summary>
    public int MinimumLength { get; init; } = 1;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var values = new JsonValueBatch(messages.Count * 10);
        var words = new List<StreamMessage>(messages.Count * 10);
        foreach (var message in messages)
        {
            var text = TextOf(message.Value);
            if (text is null)
            {
                continue;
            }

            var index = 0;
            var start = -1;
            for (var i = 0; i <= text.Length; i++)
            {
                var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || (text[i] == '\'' && start >= 0));
                if (inWord)
                {
                    start = start < 0 ? i : start;
                    continue;
                }

                if (start >= 0)
                {
                    var span = text.AsSpan(start, i - start).Trim('\'');
                    if (span.Length >= MinimumLength)
                    {
                        var id = message.Id is null ? null : string.Create(CultureInfo.InvariantCulture, $"{message.Id}#{index}");
                        var word = LowerCase(span);
                        values.Writer.WriteStringValue(word);
                        values.Next();
                        words.Add(new StreamMessage(word, default, id, message.Timestamp));
                        index++;
                    }

                    start = -1;
                }
            }
        }

        values.Complete();
        for (var w = 0; w < words.Count; w++)
        {
            words[w].Value = values[w];
        }

        return ValueTask.FromResult<IReadOnlyList<StreamMessage>>(words);
    }

    // One string per word: the lower-case copy is made straight from the text (a word already in lower case, the
    // usual case, is copied once instead of twice).
    private static string LowerCase(ReadOnlySpan<char> word)
    {
        foreach (var c in word)
        {
            if (char.ToLowerInvariant(c) != c)
            {
                return string.Create(word.Length, word, static (destination, source) => source.ToLowerInvariant(destination));
            }
        }

        return word.ToString();
    }

    private string? TextOf(JsonElement value)
    {
        if (Field is not null)
        {
            return value.ValueKind == JsonValueKind.Object && value.TryGetProperty(Field, out var field) && field.ValueKind == JsonValueKind.String
                ? field.GetString()
                : null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
