using System.Text.Json;

namespace FlowState.Lua;

/// <summary>What one script run sees: which scope <c>State</c> is, the workflow and step it runs in, its arguments.</summary>
public sealed record LuaScriptContext
{
    /// <summary>The scope of the <c>State</c> global (default: the global scope).</summary>
    public StateScope Scope { get; init; } = StateScope.Global;

    /// <summary>
    /// The workflow run the script belongs to. When set, <c>workflow.state</c> is that run's scope
    /// (<c>workflow:{id}:</c>) and <c>workflow.id</c> its id.
    /// </summary>
    public string? WorkflowId { get; init; }

    /// <summary>The step the script is (needs <see cref="WorkflowId"/>). When set, <c>step.state</c> is the step's scope (<c>workflow:{id}:step:{name}:</c>).</summary>
    public string? StepName { get; init; }

    /// <summary>The script's name in Lua messages (default <c>script</c>; a file's path when run from a file).</summary>
    public string? ChunkName { get; init; }

    /// <summary>A value handed to the script as the global <c>args</c> (converted to Lua tables).</summary>
    public JsonElement? Arguments { get; init; }
}
