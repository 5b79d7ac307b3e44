namespace FlowState;

/// <summary>
/// One node of settings — a pipeline's, a flow file's — whatever they were written in: a section of <c>IConfiguration</c>
/// (appsettings.json, environment variables), a YAML file (<c>FlowState.Yaml</c>), or a format of your own. A node is a
/// mapping, a list or a single value, and knows where it was written, for error messages. <see cref="StrictSettings"/>
/// reads it.
/// </summary>
public interface ISettingsNode
{
    /// <summary>Where the node was written, as an error names it: <c>pipeline.yaml, line 4</c>, <c>configuration 'Pipelines:wc:name'</c>.</summary>
    string Location { get; }

    /// <summary>A single value's text; null for a mapping or a list.</summary>
    string? Value { get; }

    /// <summary>Whether a single value was written quoted (<c>"123"</c>): text, never a number, a boolean or null.</summary>
    bool IsQuoted { get; }

    /// <summary>Whether the node maps keys to nodes.</summary>
    bool IsMapping { get; }

    /// <summary>Whether the node is a list of nodes.</summary>
    bool IsList { get; }

    /// <summary>A mapping's keys, in the order they were written.</summary>
    IEnumerable<string> Keys { get; }

    /// <summary>A list's items, in order.</summary>
    IEnumerable<ISettingsNode> Items { get; }

    /// <summary>A mapping's node under <paramref name="key"/>, or null.</summary>
    ISettingsNode? Child(string key);
}
