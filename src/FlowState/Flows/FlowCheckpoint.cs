using System.Text.Json;

namespace FlowState.Flows;

/// <summary>One committed step of a run, as kept by the run's history.</summary>
/// <param name="Index">The step's position in the run: 0 is the start (the initial state), then 1, 2, … in commit order.</param>
/// <param name="Parent">The checkpoint this one follows (<c>Index - 1</c>); null for the start.</param>
/// <param name="NodeName">The node of the step; null for the start and for an update made between steps.</param>
/// <param name="Action">The action the step returned; null for the start.</param>
/// <param name="At">When the step committed.</param>
/// <param name="Changes">What the step changed in the run's fields and its steps' private state.</param>
public sealed record FlowCheckpoint(long Index, long? Parent, string? NodeName, string? Action, DateTimeOffset At, IReadOnlyList<FlowStateChange> Changes);
