using System.Text.Json.Nodes;
using FlowState.Flows;

namespace FlowState.Cli.ExampleFlows;

/// <summary>
/// A flow shipped with the CLI: how to build it, the input keys a flow file may give it, how to read that input, and how to show its result
/// (a headline and a two-column table).
/// </summary>
internal sealed record BundledFlow(
    string Name,
    string Description,
    Func<Flow> Build,
    IReadOnlyList<string> InputKeys,
    Func<JsonObject, string, JsonObject> PrepareInput,
    Func<JsonObject, (string Headline, IReadOnlyList<(string Label, string Value)> Rows)> Summarize)
{
    /// <summary>Prints a run's result: the headline, then the table.</summary>
    public async Task PrintResultAsync(CliConsole console, JsonObject state, string[] headers)
    {
        var (headline, rows) = Summarize(state);
        await console.Out.WriteLineAsync(headline);
        console.Table(headers, rows.Select(r => new[] { r.Label, r.Value }));
    }

    public static IReadOnlyDictionary<string, BundledFlow> All { get; } = new Dictionary<string, BundledFlow>(StringComparer.Ordinal)
    {
        [WordCountFlow.Name] = WordCountFlow.Bundled,
    };

    /// <exception cref="CliException">There is no bundled flow of that name.</exception>
    public static BundledFlow Find(string name) =>
        All.TryGetValue(name, out var flow)
            ? flow
            : throw new CliException($"there is no bundled flow named '{name}'; the bundled flows are: {string.Join(", ", All.Keys)}");
}