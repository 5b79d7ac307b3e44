using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace FlowState.Yaml;

/// <summary>A YAML node as settings; its location is the file and the line it starts on.</summary>
internal sealed class YamlSettingsNode(YamlNode node, string file) : ISettingsNode
{
    public string Location => string.Create(CultureInfo.InvariantCulture, $"{file}, line {node.Start.Line}");

    public string? Value => node is YamlScalarNode scalar ? scalar.Value : null;

    public bool IsQuoted => node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted or YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded };

    public bool IsMapping => node is YamlMappingNode;

    public bool IsList => node is YamlSequenceNode;

    public IEnumerable<string> Keys => node is YamlMappingNode mapping ? mapping.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? string.Empty) : [];

    public IEnumerable<ISettingsNode> Items => node is YamlSequenceNode sequence ? sequence.Children.Select(c => new YamlSettingsNode(c, file)) : [];

    public ISettingsNode? Child(string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? new YamlSettingsNode(child, file) : null;
}
