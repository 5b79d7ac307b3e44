using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FlowState;

/// <summary>
/// A configuration section as settings. Configuration has no lists of its own: a section whose keys are 0, 1,
/// 2, … (what JSON arrays and <c>Name__0</c> variables become) is read as a list.
/// </summary>
internal sealed class ConfigurationSettingsNode : ISettingsNode
{
    private readonly IConfiguration _configuration;
    private readonly string _path;

    // The children, read once: every question about the node (value? mapping? list?) asks for them.
    private readonly List<IConfigurationSection> _children;
    private readonly bool _isList;

    public ConfigurationSettingsNode(IConfiguration configuration, string path)
    {
        _configuration = configuration;
        _path = path;
        _children = [.. configuration.GetChildren()];
        var indexes = _children.Select(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && c.Key == i.ToString(CultureInfo.InvariantCulture) ? i : -1).ToList();
        _isList = _children.Count > 0 && indexes.Order().SequenceEqual(Enumerable.Range(0, _children.Count));
    }

    public string Location => $"configuration '{_path}'";

    public string? Value => _configuration is IConfigurationSection section && _children.Count == 0 ? section.Value : null;

    public bool IsQuoted => false;

    public bool IsMapping => _children.Count > 0 && !_isList;

    public bool IsList => _isList;

    public IEnumerable<string> Keys => _children.Select(c => c.Key);

    public IEnumerable<ISettingsNode> Items =>
        _children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => new ConfigurationSettingsNode(c, c.Path));

    public ISettingsNode? Child(string key) =>
        _configuration.GetSection(key) is { } child && (child.Value is not null || child.GetChildren().Any()) ? new ConfigurationSettingsNode(child, child.Path) : null;
}
