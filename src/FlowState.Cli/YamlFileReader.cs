using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowState.Cli;

/// <summary>Reads the first document of a YAML file (flow files, pipeline files).</summary>
internal static class YamlFileReader
{
    /// <summary>The root node, or null for an empty file.</summary>
    /// <exception cref="CliException">There is no file, or it is not YAML (with the line).</exception>
    public static YamlNode? LoadRoot(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"there is no {what} at {Path.GetFullPath(path)}");
        }

        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new CliException($"{path} is not valid YAML (line {ex.Start.Line}): {ex.Message}");
        }

        return yaml.Documents.Count == 0 ? null : yaml.Documents[0].RootNode;
    }
}
