namespace FlowState.Streaming;

/// <summary>
/// The rule for the names of pipelines, sources, processors and sinks: they become folder names, S3 key segments and
/// two-phase-commit transaction ids, so a name is one path segment that cannot climb out of its folder.
/// </summary>
public static class StreamNames
{
    /// <summary>The longest name, in characters.</summary>
    public const int MaxLength = 200;

    /// <summary>What is wrong with <paramref name="name"/> as a stream name, or null when it is fine.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "a name is needed";
        }

        if (name.Length > MaxLength)
        {
            return $"'{name[..20]}…' is {name.Length} characters long; use at most {MaxLength}";
        }

        if (name is "." or "..")
        {
            return $"'{name}' names a folder's own or parent folder; use a plain name such as 'orders'";
        }

        foreach (var c in name)
        {
            if (c is '/' or '\\' || char.IsControl(c))
            {
                return $"'{name.ReplaceLineEndings(" ")}' contains {(char.IsControl(c) ? "a control character" : $"'{c}'")}, which would let it name a path; use letters, digits, '-', '_' or '.'";
            }
        }

        return null;
    }

    /// <summary>Throws when <paramref name="name"/> is not a valid stream name.</summary>
    /// <exception cref="StreamDefinitionException">The name, what it names (<paramref name="what"/>) and why it is refused.</exception>
    public static void Validate(string? name, string what)
    {
        if (Problem(name) is { } problem)
        {
            throw new StreamDefinitionException($"The {what} name is not valid: {problem}.");
        }
    }
}
