using System.Text;
using System.Text.Json;
using FlowState.Flows;
using FlowState.Lua.Interop;

namespace FlowState.Lua.Flows;

/// <summary>
/// A flow node written in Lua: the script defines the global functions <c>prep()</c>, <c>exec(prep_result)</c> and
/// <c>post(prep_result, exec_result)</c>, each optional, as in <see cref="Node{TPrep, TExec}"/>.
/// </summary>
/// <remarks>
/// <para>
/// Each phase runs in a fresh sandbox (<see cref="LuaScriptHost"/> describes it), which first runs the script's top
/// level (so keep it to definitions) and then calls the phase's function with its budgets from
/// <see cref="LuaScriptOptions"/>. Values pass between phases as JSON.
/// </para>
/// <para>
/// <c>prep</c> reads <c>workflow.state</c> (the run), <c>step.state</c> (this node's scope in the run) and
/// <c>State</c> (global), all read-only. <c>exec</c> sees no state (<c>workflow.id</c> and <c>step.name</c> only) and is
/// retried per <see cref="Node{TPrep, TExec}.MaxRetries"/>. <c>post</c> writes the same three scopes; its writes commit
/// with the step, and it returns the next action (a string, or nil for <c>"default"</c>). <c>State.commit()</c> is not
/// available in a flow. The flow's parameters are the global <c>args</c>.
/// </para>
/// </remarks>
public sealed class LuaNode : Node<JsonElement, JsonElement>
{
    private const string PrepReadOnly = "prep reads state; write it in post";
    private static readonly JsonElement Nil = JsonDocument.Parse("null").RootElement.Clone();

    private readonly byte[] _source;

    /// <summary>Creates a node that runs <paramref name="source"/>.</summary>
    /// <param name="name">The node's name (unique within a flow).</param>
    /// <param name="source">The Lua source that defines <c>prep</c>, <c>exec</c> and <c>post</c>.</param>
    /// <param name="chunkName">The script's name in Lua messages (default: the node's name).</param>
    /// <param name="options">The budgets of each phase (default <see cref="LuaScriptOptions"/>'s).</param>
    /// <exception cref="ScriptException">The source does not compile.</exception>
    /// <exception cref="ArgumentException">The name is not a valid node name.</exception>
    public LuaNode(string name, string source, string? chunkName = null, LuaScriptOptions? options = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new LuaScriptOptions();
        options.Validate();
        _source = Encoding.UTF8.GetBytes(source);
        ChunkName = chunkName ?? name;
        Options = options;
        LuaScriptRun.Compile(_source, ChunkName);
    }

    /// <summary>The script's name in Lua messages.</summary>
    public string ChunkName { get; }

    /// <summary>The budgets of each phase.</summary>
    public LuaScriptOptions Options { get; }

    /// <summary>Where the phases' <c>print</c> output goes, after each phase (default: nowhere).</summary>
    public TextWriter? Output { get; init; }

    /// <summary>Creates a node that runs the script in the file <paramref name="path"/> (named by its path in Lua messages).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <inheritdoc cref="LuaNode(string, string, string?, LuaScriptOptions?)"/>
    public static async Task<LuaNode> FromFileAsync(string name, string path, LuaScriptOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var source = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return new LuaNode(name, source, path, options);
    }

    /// <inheritdoc/>
    protected override ValueTask<JsonElement> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        LuaStateBinding[] bindings =
        [
            new("State", () => context.GlobalState, null, PrepReadOnly),
            new("workflow.state", () => state, null, PrepReadOnly),
            new("step.state", () => context.StepState, null, PrepReadOnly),
        ];
        return ValueTask.FromResult(Run("prep", bindings, context, cancellationToken));
    }

    /// <inheritdoc/>
    protected override ValueTask<JsonElement> ExecAsync(JsonElement prep, ExecContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(Run("exec", [], context, cancellationToken, prep));
    }

    /// <inheritdoc/>
    protected override ValueTask<string?> PostAsync(IStateStore state, JsonElement prep, JsonElement exec, PostContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        LuaStateBinding[] bindings =
        [
            new("State", () => context.GlobalState, () => context.GlobalState),
            new("workflow.state", () => state, () => state),
            new("step.state", () => context.StepState, () => context.StepState),
        ];
        var action = Run("post", bindings, context, cancellationToken, prep, exec);
        return action.ValueKind switch
        {
            JsonValueKind.Null => ValueTask.FromResult<string?>(null),
            JsonValueKind.String => ValueTask.FromResult(action.GetString()),
            _ => throw new ScriptException(
                $"Lua node '{Name}' ({ChunkName}): post must return the next action as a string, or nil for \"default\", not {action.GetRawText()}",
                ChunkName,
                "post returned " + action.ValueKind.ToString().ToLowerInvariant(),
                ScriptBudget.None),
        };
    }

    private JsonElement Run(string phase, IReadOnlyList<LuaStateBinding> bindings, NodeContext context, CancellationToken cancellationToken, params JsonElement?[] arguments)
    {
        using var run = new LuaScriptRun(Options, bindings, commit: null, cancellationToken);
        try
        {
            run.Execute(_source, ChunkName, Parameters(context), context.RunId, Name);
            var (found, result) = run.Call(phase, ChunkName, arguments);
            return found ? result : Nil;
        }
        finally
        {
            if (Output is { } output && run.Output.Length > 0)
            {
                lock (output)
                {
                    output.Write(run.Output);
                }
            }
        }
    }

    private static JsonElement? Parameters(NodeContext context) =>
        context.Params.Count == 0 ? null : JsonSerializer.SerializeToElement(context.Params);
}
