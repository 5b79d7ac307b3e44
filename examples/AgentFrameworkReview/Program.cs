// An Agent Framework workflow whose checkpoints live in FlowState (SQLite): a draft fans out to three reviewers, their
// reviews fan in, and a person approves the result. The first process is killed while it waits for the approval; a
// second process resumes the workflow from the checkpoint in the store and answers.
//   dotnet run --project examples/AgentFrameworkReview -- start [store.db]        runs until the approval, then is killed
//   dotnet run --project examples/AgentFrameworkReview -- resume yes|no [store.db]  resumes from the store and answers
using System.Diagnostics;
using FlowState;
using FlowState.AgentFramework;
using FlowState.Sqlite;
using Microsoft.Agents.AI.Workflows;

const string Session = "review-1";
var mode = args.FirstOrDefault();
if (mode is not ("start" or "resume") || (mode == "resume" && args.ElementAtOrDefault(1) is not ("yes" or "no")))
{
    Console.Error.WriteLine("usage: AgentFrameworkReview start [store.db] | resume yes|no [store.db]");
    return 2;
}

var path = args.ElementAtOrDefault(mode == "start" ? 1 : 2) ?? "review.db";

// Machine durability: a checkpoint the framework was told is saved survives the kill below (and a power cut).
await using var state = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path), Durability = Durability.Machine });
var checkpoints = new FlowStateCheckpointStore(state.For(StateScope.Custom("reviews")));
var manager = CheckpointManager.CreateJson(checkpoints);
var workflow = ReviewWorkflow.Build();

if (mode == "start")
{
    await using var run = await InProcessExecution.RunAsync(workflow, "FlowState keeps the state of workflows.", manager, Session);
    foreach (var review in run.OutgoingEvents.OfType<ExecutorCompletedEvent>().Select(e => e.ExecutorId).Distinct())
    {
        Console.WriteLine($"ran: {review}");
    }

    var request = PendingApproval(run);
    Console.WriteLine($"waiting for approval of: {Summary(request)} ({run.Checkpoints.Count} checkpoints in {path})");

    // As a crash would: no clean shutdown, nothing flushed on the way out.
    Console.Out.Flush();
    Process.GetCurrentProcess().Kill();
    return 1;
}

// The app's own state sits beside the checkpoints: here, the answer once given. (Resuming a session that already
// ended, from its last checkpoint, does not return in Agent Framework 1.28, so a second answer is refused up front.)
var app = state.For(StateScope.Custom("review-app"));
if (await app.GetAsync<string>($"answered:{Session}") is { } earlier)
{
    Console.Error.WriteLine($"workflow session '{Session}' was answered already: {earlier}");
    return 1;
}

var saved = (await checkpoints.RetrieveIndexAsync(Session)).ToList();
if (saved.Count == 0)
{
    Console.Error.WriteLine($"there is no workflow session '{Session}' in {path}; run 'start' first");
    return 1;
}

Console.WriteLine($"resuming from checkpoint {saved.Count} of {saved.Count} in {path}");
await using (var resumed = await InProcessExecution.ResumeAsync(workflow, saved[^1], manager))
{
    var request = PendingApproval(resumed);
    var approved = args[1] == "yes";
    Console.WriteLine($"answering {(approved ? "yes" : "no")} to: {Summary(request)}");
    await resumed.ResumeAsync([request.CreateResponse(approved)]);
    var output = resumed.NewEvents.OfType<WorkflowOutputEvent>().Select(e => e.Data as string).LastOrDefault();
    Console.WriteLine($"workflow {await resumed.GetStatusAsync()}: {output ?? "(no output)"}");
    if (output is null)
    {
        return 1;
    }

    await app.SetAsync($"answered:{Session}", $"{args[1]}, {output}");
    return 0;
}

static ExternalRequest PendingApproval(Run run) =>
    run.OutgoingEvents.OfType<RequestInfoEvent>().LastOrDefault()?.Request
        ?? throw new InvalidOperationException("the workflow is not waiting for an approval");

static string Summary(ExternalRequest request) => request.TryGetDataAs<string>(out var summary) ? summary : "(no summary)";
