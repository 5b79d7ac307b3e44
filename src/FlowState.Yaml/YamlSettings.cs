using FlowState.Streaming;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowState.Yaml;

/// <summary>
/// Reads a YAML file as settings (<see cref="ISettingsNode"/>) for <see cref="StrictSettings"/>: every node knows the
/// file and line it was written on, so errors can name them.
/// </summary>
public static class YamlSettings
{
    /// <summary>The first document of <paramref name="path"/>; null for an empty file.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="StreamDefinitionException">The file is not YAML: <c>{path} is not valid YAML (line N): …</c>.</exception>
    public static ISettingsNode? Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"there is no file at {Path.GetFullPath(path)}", path);
        }

        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new StreamDefinitionException($"{path} is not valid YAML (line {ex.Start.Line}): {ex.Message}");
        }

        return yaml.Documents.Count == 0 ? null : new YamlSettingsNode(yaml.Documents[0].RootNode, path);
    }
}
