using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FlowState;

/// <summary>
/// A configuration section as settings. Configuration has no lists of its own: a section whose keys are 0, 1,
/// 2, … (what JSON arrays and <c>Name__0</c> variables become) is read as a list.
/// </summary>
internal sealed class ConfigurationSettingsNode(IConfiguration configuration, string path) : ISettingsNode
{
    private List<IConfigurationSection> Children => [.. configuration.GetChildren()];

    public string Location => $"configuration '{path}'";

    public string? Value => configuration is IConfigurationSection section && Children.Count == 0 ? section.Value : null;

    public bool IsQuoted => false;

    public bool IsMapping => Children.Count > 0 && !IsList;

    public bool IsList
    {
        get
        {
            var keys = Children.Select(c => c.Key).ToList();
            return keys.Count > 0 && keys.Order(StringComparer.Ordinal).SequenceEqual(Enumerable.Range(0, keys.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal));
        }
    }

    public IEnumerable<string> Keys => Children.Select(c => c.Key);

    public IEnumerable<ISettingsNode> Items =>
        Children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => new ConfigurationSettingsNode(c, c.Path));

    public ISettingsNode? Child(string key) =>
        configuration.GetSection(key) is { } child && (child.Value is not null || child.GetChildren().Any()) ? new ConfigurationSettingsNode(child, child.Path) : null;
}
