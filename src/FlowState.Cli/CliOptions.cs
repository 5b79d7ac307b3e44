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

    public static Option<string?> Scope { get; } = new("--scope")
    {
        Description = "the scope, as the store prints it: workflow:<run>:, workflow:<run>:step:<node>:, custom:<ns>:, a:b: (default: global)",
    };
}
