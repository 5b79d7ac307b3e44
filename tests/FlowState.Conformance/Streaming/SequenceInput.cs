using System.Globalization;
using System.Text.Json;
using System.Text;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// A sequence-numbered input (<c>{"seq":i,"key":"k{i % keys}"}</c> per line) and the checks of what a counting pipeline
/// wrote from it: every message exactly once, and per key the counts 1..n in order.
/// </summary>
public static class SequenceInput
{
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static void Write(string path, int messages, int keys, int from = 0)
    {
        var text = new StringBuilder();
        for (var i = from; i < from + messages; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"seq\":{i},\"key\":\"k{i % keys}\"}}\n");
        }

        File.AppendAllText(path, text.ToString());
    }

    public static Dictionary<string, long> Model(int messages, int keys) =>
        Enumerable.Range(0, messages).GroupBy(i => $"k{i % keys}").ToDictionary(g => g.Key, g => (long)g.Count());

    /// <summary>Parses the committed output; fails on a duplicate id, a missing id or a count out of order.</summary>
    public static async Task<Dictionary<string, long>> CheckOutputAsync(string directory, int messages) =>
        CheckOutput(await JsonLinesFileSink.ReadCommittedLinesAsync(directory), messages);

    /// <summary>Checks committed output lines (count updates, in the sink's order) as <see cref="CheckOutputAsync"/> does.</summary>
    public static Dictionary<string, long> CheckOutput(IReadOnlyList<string> lines, int messages)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var update = JsonSerializer.Deserialize<CountUpdate>(line, Web)!;
            Assert.True(seen.Add(update.Id!), $"message {update.Id} was written twice");
            var previous = last.GetValueOrDefault(update.Key);
            Assert.True(update.Count == previous + 1, $"key {update.Key}: count {update.Count} after {previous} (lost or repeated state)");
            last[update.Key] = update.Count;
        }

        Assert.Equal(messages, seen.Count);
        return last;
    }

    public static async Task<Dictionary<string, long>> ReadCountsAsync(IStateReader state)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var key in state.ListKeysAsync())
        {
            counts[key] = await state.GetAsync<long>(key);
        }

        return counts;
    }
}
