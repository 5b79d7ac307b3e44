// flowstate: run flows and inspect, edit, back up and export FlowState stores. See FlowStateCli for the exit codes.
using FlowState.Cli;

// The first Ctrl+C asks the command to stop cleanly (a run stops after its committed steps and can be resumed); a
// second one ends the process at once.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !stop.IsCancellationRequested;
    stop.Cancel();
};

// The runtime decodes arguments leniently (invalid UTF-8 becomes U+FFFD), so two different keys could arrive as one:
// the raw arguments are checked first where the OS shows them.
if (CommandLineText.FirstInvalidArgument(args) is { } invalid)
{
    await Console.Error.WriteLineAsync($"error: argument {invalid + 1} is not valid UTF-8; keys and values are text, so pass them as UTF-8 (binary data: encode it, e.g. as base64)");
    return 2;
}

return await FlowStateCli.InvokeAsync(args, Console.Out, Console.Error, stop.Token);
