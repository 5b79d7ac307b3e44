using FlowState.Streaming;

namespace FlowState.Yaml;

/// <summary>
/// Reads stream pipelines from YAML files (the format of ArkFlow and of <c>flowstate run</c>; its JSON Schema is
/// docs/schemas/pipeline-file.schema.json). Inputs are read relative to the file; outputs and checkpoints are written
/// relative to the working directory.
/// </summary>
public static class StreamPipelineYaml
{
    /// <summary>Reads the pipeline in <paramref name="path"/>.</summary>
    /// <param name="path">The YAML file.</param>
    /// <param name="catalog">The kinds of components it may name (default: the core's; add providers' with their extension methods).</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="StreamDefinitionException">The file is not YAML, a key is unknown or a value is bad; the message names the file and line.</exception>
    public static StreamPipelineDefinition Load(string path, StreamComponentCatalog? catalog = null)
    {
        var root = YamlSettings.Load(path) ?? throw new StreamDefinitionException($"{path} is empty; a pipeline file needs 'name:' and 'pipeline:'");
        return StreamPipelineDefinition.Load(root, catalog, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
