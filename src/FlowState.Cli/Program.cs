// flowstate: run flows and inspect, edit, back up and export FlowState stores. See FlowStateCli for the exit codes.
using System.Runtime.InteropServices;
using FlowState.Cli;

// The first Ctrl+C asks the command to stop cleanly (a run stops after its committed steps and can be resumed); a
// second one ends the process at once. SIGTERM (kill <pid>) stops it cleanly too: a job started in the background by a
// shell without job control inherits SIGINT as ignored, and the runtime rightly keeps ignoring it, so SIGTERM is the
// way to stop such a job without losing what it did.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !stop.IsCancellationRequested;
    stop.Cancel();
};
var terminated = false;
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = !stop.IsCancellationRequested;
    terminated = true;
    stop.Cancel();
});

// The runtime decodes arguments leniently (invalid UTF-8 becomes U+FFFD), so two different keys could arrive as one:
// the raw arguments are checked first where the OS shows them.
if (CommandLineText.FirstInvalidArgument(args) is { } invalid)
{
    await Console.Error.WriteLineAsync($"error: argument {invalid + 1} is not valid UTF-8; keys and values are text, so pass them as UTF-8 (binary data: encode it, e.g. as base64)");
    return 2;
}

var code = await FlowStateCli.InvokeAsync(args, Console.Out, Console.Error, stop.Token);

// Stopped by SIGTERM: 128 + 15, as a shell reports a terminated program.
return terminated && code == FlowStateCli.Interrupted ? FlowStateCli.Terminated : code;
