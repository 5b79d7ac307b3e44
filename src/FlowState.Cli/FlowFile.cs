using System.Globalization;
using System.Text.Json.Nodes;
using FlowState.Cli.ExampleFlows;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowState.Cli;

/// <summary>
/// A flow file (YAML): <c>flow</c> (a bundled flow's name), optional <c>store</c> and <c>run_id</c>, and <c>input</c>
/// (the run's initial state, with the keys the bundled flow reads). Read strictly, as every file the CLI reads: an
/// unknown key is an error with its line and the key that was likely meant. Relative paths in the input are the
/// flow's business (resolved against the file's folder).
/// </summary>
internal sealed record FlowFile(string Flow, string? Store, string? RunId, JsonObject Input, string Directory)
{
    /// <summary>The keys a flow file may have (docs/schemas/flow-file.schema.json lists the same; a test checks).</summary>
    public static readonly string[] Keys = ["flow", "store", "run_id", "input"];

    /// <exception cref="CliException">The file cannot be read or is not a flow file.</exception>
    public static FlowFile Load(string path)
    {
        var root = YamlMap.WithErrors(YamlFileReader.LoadRoot(path, "flow file") ?? new YamlMappingNode(), path, "(file)", static message => new CliException(message), Keys);
        var flow = root.String("flow") ?? throw new CliException($"{path} names no flow: add 'flow: <name>' (bundled: {string.Join(", ", BundledFlow.All.Keys)})");
        if (!BundledFlow.All.TryGetValue(flow, out var bundled))
        {
            throw root.Error(root.Get("flow")!, $"there is no bundled flow named '{flow}'; the bundled flows are: {string.Join(", ", BundledFlow.All.Keys)}");
        }

        var input = root.Has("input") ? (JsonObject)ToJson(root.Map("input", [.. bundled.InputKeys]).Node)! : [];
        return new FlowFile(flow, root.String("store"), root.String("run_id"), input, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>A YAML value as JSON (plain scalars read as numbers, booleans or null where they can).</summary>
    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? string.Empty, ToJson(p.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var text } => Plain(text),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => null,
    };

    // An unquoted scalar is a number, a boolean or null when it reads as one, as YAML 1.2's core schema has it.
    private static JsonValue? Plain(string? text) =>
        text is null or "" or "~" or "null" ? null
        : text is "true" or "false" ? JsonValue.Create(text == "true")
        : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? JsonValue.Create(integer)
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? JsonValue.Create(real)
        : JsonValue.Create(text);
}
