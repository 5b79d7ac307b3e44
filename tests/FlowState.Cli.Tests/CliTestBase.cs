using FlowState.Conformance;

namespace FlowState.Cli.Tests;

/// <summary>Runs the CLI in-process on a store in a temporary directory and captures what it prints.</summary>
public abstract class CliTestBase : IDisposable
{
    protected CliTestBase()
    {
        StorePath = Directory.File("store.db");
    }

    protected TemporaryDirectory Directory { get; } = new();

    protected string StorePath { get; }

    public void Dispose()
    {
        Directory.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <c>flowstate</c> with <paramref name="args"/> (and <c>--store</c> unless given).</summary>
    protected Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <summary>Runs <c>flowstate</c> as <see cref="RunAsync(string[])"/> does, stopped by <paramref name="stop"/> (Ctrl+C's token).</summary>
    protected async Task<(int Code, string Out, string Error)> RunAsync(CancellationToken stop, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var withStore = args.Contains("--store") || args.Contains("--help") ? args : [.. args, "--store", StorePath];
        var code = await FlowStateCli.InvokeAsync(withStore, output, error, stop);
        return (code, output.ToString(), error.ToString());
    }
}
