namespace FlowState.Cli;

/// <summary>A command failed for a reason the user can act on; printed as one line, exit code 1.</summary>
internal class CliException(string message) : Exception(message);
