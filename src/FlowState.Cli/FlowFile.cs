using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowState.Cli;

/// <summary>
/// A flow file (YAML): <c>flow</c> (a bundled flow's name), optional <c>store</c> and <c>run_id</c>, and <c>input</c>
/// (the run's initial state). Relative paths in the input are the flow's business (resolved against the file's folder).
/// </summary>
internal sealed record FlowFile(string Flow, string? Store, string? RunId, JsonObject Input, string Directory)
{
    /// <exception cref="CliException">The file cannot be read or is not a flow file.</exception>
    public static FlowFile Load(string path)
    {
        if (YamlFileReader.LoadRoot(path, "flow file") is not YamlMappingNode root)
        {
            throw new CliException($"{path} must be a YAML mapping with at least 'flow:'");
        }

        string? Scalar(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var node) ? (node as YamlScalarNode)?.Value : null;
        var flow = Scalar("flow") ?? throw new CliException($"{path} names no flow: add 'flow: <name>'");
        var input = root.Children.TryGetValue(new YamlScalarNode("input"), out var inputNode)
            ? ToJson(inputNode) as JsonObject ?? throw new CliException($"'input' in {path} must be a mapping")
            : [];
        return new FlowFile(flow, Scalar("store"), Scalar("run_id"), input, Path.GetDirectoryName(Path.GetFullPath(path))!);
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
