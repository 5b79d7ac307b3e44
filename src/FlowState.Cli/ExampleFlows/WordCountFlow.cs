using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using FlowState.Flows;

namespace FlowState.Cli.ExampleFlows;

/// <summary>
/// Counts the words of text files: <c>read</c> (a file per item), <c>count</c> (a document per item, two at a time),
/// <c>rank</c> (the most frequent words; also adds to store-wide totals in global state), <c>report</c>.
/// Input: <c>files</c> (paths; default: the texts shipped with the tool), <c>top</c> (how many words to rank, default
/// 10) and <c>step_delay_ms</c> (a pause in every read and every count, to watch the steps go by or to try Ctrl+C and resume).
/// </summary>
internal static partial class WordCountFlow
{
    public const string Name = "word-count";

    private static readonly HashSet<string> StopWords = new(
        ["the", "and", "for", "its", "that", "with", "one", "are", "was", "not", "but", "from", "into", "when", "what", "after", "before", "may", "every", "both", "even", "only", "once", "this", "away", "back", "out", "then", "than", "each", "their", "which"],
        StringComparer.Ordinal);

    public static BundledFlow Bundled { get; } = new(
        Name,
        "counts the words of text files and ranks the most frequent ones",
        Build,
        ["files", "top", "step_delay_ms"],
        PrepareInput,
        Summarize);

    public static Flow Build() => new FlowBuilder(Name).Sequence(new ReadNode(), new CountNode { MaxDegreeOfParallelism = 2 }, Rank(), Report()).Build();

    private static JsonObject PrepareInput(JsonObject input, string baseDirectory)
    {
        if (input["files"] is null)
        {
            // No files named: the texts shipped beside the tool.
            baseDirectory = AppContext.BaseDirectory;
            input["files"] = new JsonArray([.. Directory.GetFiles(Path.Combine(baseDirectory, "texts"), "*.txt").Order(StringComparer.Ordinal).Select(f => JsonValue.Create(f))]);
        }

        if (input["files"] is not JsonArray files || files.Count == 0)
        {
            throw new CliException("the word-count flow needs input.files: a list of text files");
        }

        var resolved = new JsonArray();
        foreach (var file in files)
        {
            var path = Path.GetFullPath(Path.Combine(baseDirectory, file?.GetValue<string>() ?? throw new CliException("input.files has an empty entry")));
            if (!File.Exists(path))
            {
                throw new CliException($"input file {path} does not exist");
            }

            resolved.Add(path);
        }

        var top = 10L;
        if (input["top"] is { } given && (given is not JsonValue value || !value.TryGetValue(out top) || top is < 1 or > 10_000))
        {
            throw new CliException($"input.top must be a whole number from 1 to 10000 (got {given.ToJsonString()})");
        }

        var delay = 0L;
        if (input["step_delay_ms"] is { } pause && (pause is not JsonValue pauseValue || !pauseValue.TryGetValue(out delay) || delay is < 0 or > 60_000))
        {
            throw new CliException($"input.step_delay_ms must be a whole number of milliseconds from 0 to 60000 (got {pause.ToJsonString()})");
        }

        return new JsonObject { ["files"] = resolved, ["top"] = top, ["step_delay_ms"] = delay };
    }

    private static (string Headline, IReadOnlyList<(string Label, string Value)> Rows) Summarize(JsonObject state) =>
        (state["summary"]?.GetValue<string>() ?? "(no summary)",
         [.. (state["ranking"]?.AsArray() ?? []).Select(w => (w!["word"]!.GetValue<string>(), w["count"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture)))]);

    private static Node<(Dictionary<string, int> Counts, int Top), List<KeyValuePair<string, int>>> Rank() =>
        Node.Create<(Dictionary<string, int> Counts, int Top), List<KeyValuePair<string, int>>>(
            "rank",
            prep: async (state, _) => ((await state.GetAsync<Dictionary<string, int>>("counts"))!, await state.GetAsync<int>("top")),
            exec: (input, _) => ValueTask.FromResult<List<KeyValuePair<string, int>>>(
                [.. input.Counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(input.Top)]),
            post: async (state, input, ranked, context) =>
            {
                await state.SetAsync("ranking", ranked.Select(w => new { word = w.Key, count = w.Value }).ToList());
                await context.GlobalState.UpdateAsync<long>("word-count/runs", n => n + 1);
                await context.GlobalState.UpdateAsync<long>("word-count/words", n => n + input.Counts.Values.Sum());
                return null;
            });

    private static Node<(int Documents, long Words, string[] Top, long Runs, long AllWords), string> Report() =>
        Node.Create<(int Documents, long Words, string[] Top, long Runs, long AllWords), string>(
            "report",
            prep: async (state, context) =>
            {
                var perDocument = (await state.GetAsync<Dictionary<string, int>>("words_per_document"))!;
                var top = (await state.GetAsync<List<RankedWord>>("ranking"))!;
                return (perDocument.Count, perDocument.Values.Sum(), [.. top.Take(3).Select(w => w.Word)],
                    await context.GlobalState.GetAsync<long>("word-count/runs"), await context.GlobalState.GetAsync<long>("word-count/words"));
            },
            exec: (facts, _) => ValueTask.FromResult(string.Create(
                CultureInfo.InvariantCulture,
                $"{facts.Words} words in {facts.Documents} documents; most frequent: {string.Join(", ", facts.Top)}. This store has counted {facts.AllWords} words in {facts.Runs} run(s).")),
            post: async (state, _, summary, _) =>
            {
                await state.SetAsync("summary", summary);
                return null;
            });

    [GeneratedRegex("[a-z][a-z']{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();

    private sealed record RankedWord([property: JsonPropertyName("word")] string Word, [property: JsonPropertyName("count")] int Count);

    /// <summary>Reads each file (exec: no state); post keeps the texts in the run's state.</summary>
    private sealed class ReadNode() : BatchNode<(string Path, TimeSpan Delay), KeyValuePair<string, string>>("read")
    {
        protected override async ValueTask<IReadOnlyList<(string Path, TimeSpan Delay)>> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken)
        {
            var delay = TimeSpan.FromMilliseconds(await state.GetAsync<long>("step_delay_ms", cancellationToken));
            return [.. (await state.GetAsync<string[]>("files", cancellationToken))!.Select(file => (file, delay))];
        }

        protected override async ValueTask<KeyValuePair<string, string>> ExecItemAsync((string Path, TimeSpan Delay) item, ExecContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(item.Delay, cancellationToken);
            return new(System.IO.Path.GetFileName(item.Path), await File.ReadAllTextAsync(item.Path, cancellationToken));
        }

        protected override async ValueTask<string?> PostAsync(
            IStateStore state, IReadOnlyList<(string Path, TimeSpan Delay)> prep, IReadOnlyList<KeyValuePair<string, string>> exec, PostContext context, CancellationToken cancellationToken)
        {
            await state.SetAsync("texts", exec.ToDictionary(d => d.Key, d => d.Value), cancellationToken: cancellationToken);
            return null;
        }
    }

    /// <summary>Counts the words of each document; post keeps the totals and per-document sizes.</summary>
    private sealed class CountNode() : BatchNode<(string Name, string Text, TimeSpan Delay), KeyValuePair<string, Dictionary<string, int>>>("count")
    {
        protected override async ValueTask<IReadOnlyList<(string Name, string Text, TimeSpan Delay)>> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken)
        {
            var delay = TimeSpan.FromMilliseconds(await state.GetAsync<long>("step_delay_ms", cancellationToken));
            return [.. (await state.GetAsync<Dictionary<string, string>>("texts", cancellationToken))!.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value, delay))];
        }

        protected override async ValueTask<KeyValuePair<string, Dictionary<string, int>>> ExecItemAsync((string Name, string Text, TimeSpan Delay) item, ExecContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(item.Delay, cancellationToken);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (Match match in WordPattern().Matches(item.Text.ToLowerInvariant()))
            {
                if (!StopWords.Contains(match.Value))
                {
                    counts[match.Value] = counts.GetValueOrDefault(match.Value) + 1;
                }
            }

            return KeyValuePair.Create(item.Name, counts);
        }

        protected override async ValueTask<string?> PostAsync(
            IStateStore state, IReadOnlyList<(string Name, string Text, TimeSpan Delay)> prep, IReadOnlyList<KeyValuePair<string, Dictionary<string, int>>> exec, PostContext context, CancellationToken cancellationToken)
        {
            var totals = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var (_, counts) in exec)
            {
                foreach (var (word, n) in counts)
                {
                    totals[word] = totals.GetValueOrDefault(word) + n;
                }
            }

            await state.SetAsync("counts", totals, cancellationToken: cancellationToken);
            await state.SetAsync("words_per_document", exec.ToDictionary(d => d.Key, d => d.Value.Values.Sum()), cancellationToken: cancellationToken);
            return null;
        }
    }
}
