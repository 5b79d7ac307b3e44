namespace FlowState.Cli;

/// <summary>The command line itself is wrong (an unknown store kind, a malformed scope); exit code 2.</summary>
internal sealed class CliUsageException(string message) : CliException(message);
