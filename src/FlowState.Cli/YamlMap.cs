using System.Globalization;
using FlowState.Streaming;
using YamlDotNet.RepresentationModel;

namespace FlowState.Cli;

/// <summary>
/// A YAML mapping read strictly: every key must be one the reader knows, and every value of the expected kind; any other
/// is an error naming the file, the line and what to write instead: a <see cref="StreamDefinitionException"/> unless
/// the map was made with another kind of error (<see cref="WithErrors"/>).
/// </summary>
internal sealed class YamlMap
{
    private readonly YamlMappingNode _node;
    private readonly string _file;
    private readonly string _where;
    private readonly Func<string, Exception> _error;

    public YamlMap(YamlNode node, string file, string where, params string[] knownKeys)
        : this(node, file, where, static message => new StreamDefinitionException(message), knownKeys)
    {
    }

    private YamlMap(YamlNode node, string file, string where, Func<string, Exception> error, string[] knownKeys)
    {
        _file = file;
        _where = where;
        _error = error;
        _node = node as YamlMappingNode ?? throw Error(node, $"'{where}' must be a mapping (key: value lines)");
        foreach (var key in _node.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is null || !knownKeys.Contains(name, StringComparer.Ordinal))
            {
                throw Error(key, $"unknown key '{name}' in '{where}'{Nearest(name, knownKeys)}; the known keys are {string.Join(", ", knownKeys)}");
            }
        }
    }

    public YamlNode Node => _node;

    // " (did you mean 'partitions'?)" for the known key a typo most likely meant: the fewest single-character edits,
    // if there are at most a third of the key's length (at least 2).
    private static string Nearest(string? name, string[] knownKeys)
    {
        if (string.IsNullOrEmpty(name) || knownKeys.Length == 0)
        {
            return string.Empty;
        }

        var (best, distance) = knownKeys.Select(k => (Key: k, Distance: EditDistance(name, k))).MinBy(c => c.Distance);
        return distance <= Math.Max(2, name.Length / 3) ? $" (did you mean '{best}'?)" : string.Empty;
    }

    // Damerau–Levenshtein (optimal string alignment): a swap of two neighbours ('inptu') counts as one edit.
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    public bool Has(string key) => _node.Children.ContainsKey(new YamlScalarNode(key));

    public YamlNode? Get(string key) => _node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    /// <summary>A root map whose errors are made by <paramref name="error"/> (from the message with file and line).</summary>
    public static YamlMap WithErrors(YamlNode node, string file, string where, Func<string, Exception> error, params string[] knownKeys) =>
        new(node, file, where, error, knownKeys);

    public YamlMap Map(string key, params string[] knownKeys) =>
        new(Get(key) ?? new YamlMappingNode(), _file, $"{_where}.{key}", _error, knownKeys);

    /// <summary>A mapping nested in this one under <paramref name="where"/> (an entry of a list or of a named set), read with the same kind of errors.</summary>
    public YamlMap Map(YamlNode node, string where, params string[] knownKeys) =>
        new(node, _file, $"{_where}.{where}", _error, knownKeys);

    public IReadOnlyList<YamlNode> List(string key)
    {
        var node = Get(key);
        return node switch
        {
            null => [],
            YamlSequenceNode sequence => [.. sequence.Children],
            _ => throw Error(node, $"'{_where}.{key}' must be a list (lines starting with '- ')"),
        };
    }

    public string? String(string key, bool required = false)
    {
        var node = Get(key);
        if (node is null)
        {
            return required ? throw Error(_node, $"'{_where}' needs '{key}'") : null;
        }

        return node is YamlScalarNode { Value: { Length: > 0 } text } ? text : throw Error(node, $"'{_where}.{key}' must be a non-empty text");
    }

    public int? Int(string key, int min, int max)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Error(Get(key)!, $"'{_where}.{key}' is '{text}'; use a whole number from {min} to {max}");
    }

    public bool? Bool(string key)
    {
        var text = String(key);
        return text switch
        {
            null => null,
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => throw Error(Get(key)!, $"'{_where}.{key}' is '{text}'; use true or false"),
        };
    }

    public string? OneOf(string key, params string[] choices)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        return choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))
            ?? throw Error(Get(key)!, $"'{_where}.{key}' is '{text}'; use one of: {string.Join(", ", choices)}");
    }

    public Exception Error(YamlNode node, string problem) => _error(Where(_file, node, problem));

    public static StreamDefinitionException Error(string file, YamlNode node, string problem) => new(Where(file, node, problem));

    private static string Where(string file, YamlNode node, string problem) =>
        string.Create(CultureInfo.InvariantCulture, $"{file}, line {node.Start.Line}: {problem}");
}
