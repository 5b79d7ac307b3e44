using System.Text.Json;

namespace FlowState.Flows;

/// <summary>One change a step made: a run field, or a key of a step's private state, set or deleted.</summary>
/// <param name="Step">The step whose private state changed; null for a field of the run's state.</param>
/// <param name="Key">The field or key.</param>
/// <param name="Value">The new value; null when the key was deleted.</param>
public sealed record FlowStateChange(string? Step, string Key, JsonElement? Value);
