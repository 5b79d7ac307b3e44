namespace FlowState.Cli;

/// <summary>
/// Runs the <c>flowstate</c> command in the test's own process and returns its exit code, output and errors: what the
/// server test projects (Redis, PostgreSQL, S3, NATS) use to drive the CLI against their server. Linked into each.
/// </summary>
internal static class InProcessCli
{
    public static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await FlowStateCli.InvokeAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
