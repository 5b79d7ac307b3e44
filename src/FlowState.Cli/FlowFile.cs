using System.Globalization;
using System.Text.Json.Nodes;
using FlowState.Cli.ExampleFlows;
using FlowState.Yaml;

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

    /// <summary>Reads the flow file at <paramref name="path"/>, whose settings were read already (<see cref="Root"/>; null: empty).</summary>
    /// <exception cref="CliException">The file is empty or is not a flow file.</exception>
    public static FlowFile Load(string path, ISettingsNode? settings)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var root = StrictSettings.Read(
            settings ?? throw new CliException($"{path} is empty; a flow file needs at least 'flow:'"),
            "(file)",
            Keys,
            directory,
            static message => new CliException(message));
        var flow = root.Text("flow") ?? throw new CliException($"{path} names no flow: add 'flow: <name>' (bundled: {string.Join(", ", BundledFlow.All.Keys)})");
        if (!BundledFlow.All.TryGetValue(flow, out var bundled))
        {
            throw root.Error($"there is no bundled flow named '{flow}'; the bundled flows are: {string.Join(", ", BundledFlow.All.Keys)}", "flow");
        }

        var input = root.Has("input") ? (JsonObject)ToJson(root.Map("input", [.. bundled.InputKeys]).Node)! : [];
        return new FlowFile(flow, root.Text("store"), root.Text("run_id"), input, directory);
    }

    /// <summary>The settings in a YAML file the CLI reads (flow files, flows of Lua steps); null for an empty file.</summary>
    /// <exception cref="CliException">There is no such file.</exception>
    /// <exception cref="Streaming.StreamDefinitionException">It is not YAML (the message names the line).</exception>
    public static ISettingsNode? Root(string path) => Existing(path, YamlSettings.Load);

    /// <summary>What <paramref name="read"/> makes of the file: a missing file is the one-line error the CLI prints.</summary>
    /// <exception cref="CliException">There is no such file.</exception>
    public static T Existing<T>(string path, Func<string, T> read)
    {
        try
        {
            return read(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    /// <summary>Settings as JSON (unquoted values read as numbers, booleans or null where they can).</summary>
    public static JsonNode? ToJson(ISettingsNode node) => node switch
    {
        { IsMapping: true } => new JsonObject(node.Keys.Select(k => KeyValuePair.Create(k, ToJson(node.Child(k)!)))),
        { IsList: true } => new JsonArray([.. node.Items.Select(ToJson)]),
        { IsQuoted: true } => JsonValue.Create(node.Value),
        _ => Plain(node.Value),
    };

    // An unquoted scalar is a number, a boolean or null when it reads as one, as YAML 1.2's core schema has it.
    private static JsonValue? Plain(string? text) =>
        text is null or "" or "~" or "null" ? null
        : text is "true" or "false" ? JsonValue.Create(text == "true")
        : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? JsonValue.Create(integer)
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? JsonValue.Create(real)
        : JsonValue.Create(text);
}
