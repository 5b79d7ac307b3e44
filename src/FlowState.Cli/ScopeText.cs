namespace FlowState.Cli;

/// <summary>Parses a scope as the store prints it (<see cref="StateScope.Parse"/>); nothing means global.</summary>
internal static class ScopeText
{
    /// <exception cref="CliUsageException">The text is not a scope.</exception>
    public static StateScope Parse(string? text)
    {
        try
        {
            return StateScope.Parse(text ?? string.Empty);
        }
        catch (FormatException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }
}
