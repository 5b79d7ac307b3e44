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

return await FlowStateCli.InvokeAsync(args, Console.Out, Console.Error, stop.Token);
