using System.CommandLine;

namespace FlowState.Cli;

/// <summary>Options every command takes.</summary>
internal static class CliOptions
{
    public static Option<string?> Store { get; } = new("--store", "-s")
    {
        Description = "the store: sqlite:<file>, rocksdb:<directory>, postgres:<table>:<connection string>, or a path (default: ./flowstate.db); shared by several processes (state commands): redis:<key prefix>:<configuration>, postgres-shared:<table>:<connection string>",
        Recursive = true,
    };

    public static Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "print stack traces with errors",
        Recursive = true,
    };

    /// <summary>
    /// <c>--json</c>, on every command that lists or shows: one JSON document on standard output instead of text, in the
    /// shape docs/cli.md gives (camelCase names, times in ISO 8601, statuses in lower case), for scripts.
    /// </summary>
    public static Option<bool> Json { get; } = new("--json")
    {
        Description = "write one JSON document instead of text (shapes: docs/cli.md)",
    };

    public static Option<string?> Scope { get; } = new("--scope")
    {
        Description = "the scope, as the store prints it: workflow:<run>:, workflow:<run>:step:<node>:, custom:<ns>:, a:b: (default: global)",
    };
}
