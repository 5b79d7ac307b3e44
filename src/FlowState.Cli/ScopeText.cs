namespace FlowState.Cli;

/// <summary>
/// Parses a scope's display form: empty or <c>global</c> is the global scope; <c>workflow:{id}:</c>,
/// <c>workflow:{id}:step:{name}:</c>, <c>custom:{ns}:</c> and nested <c>a:b:</c> as the store prints them (the trailing
/// colon is optional). Names that contain <c>:</c>, and nested scopes named <c>workflow</c>, <c>step</c> or
/// <c>custom</c>, cannot be written this way.
/// </summary>
internal static class ScopeText
{
    /// <exception cref="CliUsageException">The text is not a scope.</exception>
    public static StateScope Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text is "global" or ":")
        {
            return StateScope.Global;
        }

        var parts = (text.EndsWith(':') ? text[..^1] : text).Split(':');
        var scope = StateScope.Global;
        try
        {
            for (var i = 0; i < parts.Length; i++)
            {
                var part = parts[i];
                switch (part)
                {
                    case "workflow" when scope.IsGlobal && i + 1 < parts.Length:
                        scope = StateScope.Workflow(parts[++i]);
                        break;
                    case "step" when scope.Kind == ScopeSegmentKind.Workflow && i + 1 < parts.Length:
                        scope = scope.ChildStep(parts[++i]);
                        break;
                    case "custom" when scope.IsGlobal && i + 1 < parts.Length:
                        scope = StateScope.Custom(parts[++i]);
                        break;
                    case "workflow" or "step" or "custom":
                        throw new CliUsageException($"'{text}' is not a scope: '{part}' must be followed by a name ({part}:<name>:)");
                    default:
                        scope = scope.Child(part);
                        break;
                }
            }
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"'{text}' is not a scope: {ex.Message}");
        }

        return scope;
    }
}
