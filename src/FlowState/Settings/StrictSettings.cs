using System.Globalization;
using FlowState.Streaming;

namespace FlowState;

/// <summary>
/// A mapping of settings read strictly — a pipeline's parts (state, sources, processors, sinks), a flow file — whatever
/// format they were written in: a key it does not know is an error naming where it was written and the key that was
/// likely meant, and every value must be of the expected kind. Errors are <see cref="StreamDefinitionException"/>s
/// unless the reader was made with another kind (<see cref="Read"/>).
/// </summary>
public sealed class StrictSettings
{
    private readonly ISettingsNode _node;
    private readonly Func<string, Exception> _error;

    /// <summary>Reads <paramref name="node"/> as a mapping whose keys must be among <paramref name="knownKeys"/>.</summary>
    /// <param name="node">The mapping.</param>
    /// <param name="where">How errors name it: <c>(file)</c>, <c>(file).state</c>.</param>
    /// <param name="knownKeys">The keys it may have.</param>
    /// <param name="baseDirectory">Where relative paths in it are read from.</param>
    /// <param name="error">Makes the exception of an error from its message (which names the location); default <see cref="StreamDefinitionException"/>.</param>
    /// <exception cref="Exception">The node is not a mapping or has an unknown key: the kind <paramref name="error"/> makes.</exception>
    public static StrictSettings Read(ISettingsNode node, string where, IReadOnlyCollection<string> knownKeys, string baseDirectory, Func<string, Exception>? error = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(knownKeys);
        return new StrictSettings(node, where, knownKeys, baseDirectory, error ?? DefaultError);
    }

    internal StrictSettings(ISettingsNode node, string where, IReadOnlyCollection<string> knownKeys, string baseDirectory, Func<string, Exception>? error = null, bool checkKeys = true)
    {
        _node = node;
        _error = error ?? DefaultError;
        Where = where;
        BaseDirectory = baseDirectory;
        if (!node.IsMapping)
        {
            throw Error(node, $"'{where}' must be a mapping (key: value lines)");
        }

        foreach (var key in checkKeys ? node.Keys : [])
        {
            if (!knownKeys.Contains(key, StringComparer.Ordinal))
            {
                throw Error(node.Child(key) ?? node, $"unknown key '{key}' in '{where}'{Nearest(key, knownKeys)}; the known keys are {string.Join(", ", knownKeys)}");
            }
        }
    }

    /// <summary>What the settings are of, as errors name it: <c>(file).state</c>, <c>pipeline.sources[]</c>.</summary>
    public string Where { get; }

    /// <summary>The folder relative input paths are read from (a YAML file's folder; the working directory for configuration).</summary>
    public string BaseDirectory { get; }

    /// <summary>Whether <paramref name="key"/> is given.</summary>
    public bool Has(string key) => _node.Child(key) is not null;

    /// <summary>A text value; null when not given.</summary>
    /// <exception cref="StreamDefinitionException">It is required and missing, or it is not a non-empty text.</exception>
    public string? Text(string key, bool required = false)
    {
        var node = _node.Child(key);
        if (node is null)
        {
            return required ? throw Error(_node, $"'{Where}' needs '{key}'") : null;
        }

        return node.Value is { Length: > 0 } text ? text : throw Error(node, $"'{Where}.{key}' must be a non-empty text");
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; null when not given.</summary>
    /// <exception cref="StreamDefinitionException">It is not such a number.</exception>
    public int? WholeNumber(string key, int min, int max)
    {
        var text = Text(key);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Error(_node.Child(key)!, $"'{Where}.{key}' is '{text}'; use a whole number from {min} to {max}");
    }

    /// <summary>true or false (also yes/no); null when not given.</summary>
    /// <exception cref="StreamDefinitionException">It is neither.</exception>
    public bool? Flag(string key)
    {
        var text = Text(key);
        return text switch
        {
            null => null,
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => throw Error(_node.Child(key)!, $"'{Where}.{key}' is '{text}'; use true or false"),
        };
    }

    /// <summary>One of <paramref name="choices"/> (any case), as the choice is written; null when not given.</summary>
    /// <exception cref="StreamDefinitionException">It is none of them.</exception>
    public string? Choice(string key, params string[] choices)
    {
        var text = Text(key);
        if (text is null)
        {
            return null;
        }

        return choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))
            ?? throw Error(_node.Child(key)!, $"'{Where}.{key}' is '{text}'; use one of: {string.Join(", ", choices)}");
    }

    /// <summary>An error at <paramref name="key"/> (or at these settings when it is not given), naming where it was written.</summary>
    public Exception Error(string problem, string? key = null) => Error(key is null ? _node : _node.Child(key) ?? _node, problem);

    /// <summary>An error at <paramref name="node"/> (one of these settings' nodes), naming where it was written.</summary>
    public Exception Error(ISettingsNode node, string problem)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _error($"{node.Location}: {problem}");
    }

    /// <summary>The node under <paramref name="key"/>, or null.</summary>
    public ISettingsNode? Get(string key) => _node.Child(key);

    /// <summary>The mapping these settings read.</summary>
    public ISettingsNode Node => _node;

    /// <summary>The mapping under <paramref name="key"/> (empty when not given), read as strictly, with the same kind of errors.</summary>
    public StrictSettings Map(string key, IReadOnlyCollection<string> knownKeys) =>
        new(_node.Child(key) ?? new EmptyNode(_node.Location), $"{Where}.{key}", knownKeys, BaseDirectory, _error);

    /// <summary>A mapping nested in these settings (an entry of a list or of a named set), read as strictly, with the same kind of errors.</summary>
    public StrictSettings Map(ISettingsNode node, string where, IReadOnlyCollection<string> knownKeys) =>
        new(node, $"{Where}.{where}", knownKeys, BaseDirectory, _error);

    /// <summary>The list under <paramref name="key"/>; empty when not given.</summary>
    /// <exception cref="Exception">It is not a list.</exception>
    public IReadOnlyList<ISettingsNode> List(string key)
    {
        var node = _node.Child(key);
        return node switch
        {
            null => [],
            { IsList: true } => [.. node.Items],
            _ => throw Error(node, $"'{Where}.{key}' must be a list (lines starting with '- ')"),
        };
    }

    private static StreamDefinitionException DefaultError(string message) => new(message);

    // " (did you mean 'partitions'?)" for the known key a typo most likely meant: the fewest single-character edits,
    // if there are at most a third of the key's length (at least 2).
    private static string Nearest(string name, IReadOnlyCollection<string> knownKeys)
    {
        if (name.Length == 0 || knownKeys.Count == 0)
        {
            return string.Empty;
        }

        var (best, distance) = knownKeys.Select(k => (Key: k, Distance: EditDistance(name, k))).MinBy(c => c.Distance);
        return distance <= Math.Max(2, name.Length / 3) ? $" (did you mean '{best}'?)" : string.Empty;
    }

    // Damerau–Levenshtein (optimal string alignment): a swap of two neighbours ('inptu') counts as one edit.
    internal static int EditDistance(string a, string b)
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

    // A mapping that was not written: errors about it point at its parent.
    private sealed class EmptyNode(string parentLocation) : ISettingsNode
    {
        public string Location => parentLocation;

        public string? Value => null;

        public bool IsQuoted => false;

        public bool IsMapping => true;

        public bool IsList => false;

        public IEnumerable<string> Keys => [];

        public IEnumerable<ISettingsNode> Items => [];

        public ISettingsNode? Child(string key) => null;
    }
}
