using System.Globalization;
using System.Text.Json.Nodes;
using FlowState.Flows;
using FlowState.Lua;
using FlowState.Lua.Flows;

namespace FlowState.Cli.LuaFlows;

/// <summary>
/// A flow file (YAML) whose steps are Lua scripts: <c>name</c>, <c>steps</c> (each step's <c>script</c>, relative to
/// the file, with optional <c>retries</c>, <c>retry_delay_ms</c> and <c>next</c>: a step name, or a mapping from action
/// to step), optional <c>start</c> (default: the first step), <c>max_steps</c>, <c>budgets</c> (<c>timeout_seconds</c>,
/// <c>max_instructions</c>, <c>max_memory_mb</c>, <c>max_call_depth</c> of each phase), <c>input</c> (the run's initial
/// state), <c>show</c> (the run-state keys to print at the end; default all), <c>store</c> and <c>run_id</c>.
/// </summary>
internal sealed record LuaFlowFile(Flow Flow, JsonObject Input, string? Store, string? RunId, IReadOnlyList<string> Show, string Directory)
{
    // The keys of a flow of Lua steps (docs/schemas/lua-flow-file.schema.json lists the same; a test checks).
    public static readonly string[] RootKeys = ["name", "steps", "start", "max_steps", "budgets", "input", "show", "store", "run_id"];
    public static readonly string[] StepKeys = ["script", "retries", "retry_delay_ms", "next"];
    public static readonly string[] BudgetKeys = ["timeout_seconds", "max_instructions", "max_memory_mb", "max_call_depth"];

    /// <summary>Reads the file (its settings read already: <paramref name="settings"/>) and compiles its scripts.</summary>
    /// <param name="path">The YAML file.</param>
    /// <param name="settings">The file's settings (<see cref="FlowFile.Root"/>).</param>
    /// <param name="output">Where the scripts' <c>print</c> output goes.</param>
    /// <param name="cancellationToken">Stops reading the scripts.</param>
    /// <exception cref="FlowDefinitionException">An unknown key, a bad value, a missing script or step, with its line.</exception>
    /// <exception cref="ScriptException">A script does not compile.</exception>
    public static async Task<LuaFlowFile> LoadAsync(string path, ISettingsNode settings, TextWriter output, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var root = StrictSettings.Read(
            settings,
            "flow",
            RootKeys,
            directory,
            static message => new FlowDefinitionException(message));
        var name = root.Text("name", required: true)!;
        var options = Budgets(root.Map("budgets", BudgetKeys));
        if (root.Get("steps") is not { IsMapping: true } stepsNode || !stepsNode.Keys.Any())
        {
            throw root.Error(root.Get("steps") ?? root.Node, "'steps' must map each step's name to its script, e.g. 'load: { script: load.lua }'");
        }

        var nodes = new Dictionary<string, LuaNode>(StringComparer.Ordinal);
        var routes = new List<(string From, string Action, string To, ISettingsNode At)>();
        foreach (var stepName in stepsNode.Keys)
        {
            var value = stepsNode.Child(stepName)!;
            var step = value.IsMapping ? root.Map(value, "steps." + stepName, StepKeys) : null;
            var script = step is null ? value.Value : step.Text("script", required: true);
            if (string.IsNullOrEmpty(script))
            {
                throw root.Error(value, $"step '{stepName}' needs a script: 'script: {stepName}.lua'");
            }

            var scriptPath = Path.Combine(directory, script);
            if (!File.Exists(scriptPath))
            {
                throw root.Error(value, $"step '{stepName}' runs {script}, which does not exist at {scriptPath}");
            }

            var source = await File.ReadAllTextAsync(scriptPath, cancellationToken).ConfigureAwait(false);
            try
            {
                nodes.Add(stepName, new LuaNode(stepName, source, script, options)
                {
                    MaxRetries = step?.WholeNumber("retries", 0, 100) ?? 0,
                    RetryDelay = TimeSpan.FromMilliseconds(step?.WholeNumber("retry_delay_ms", 0, 3_600_000) ?? 0),
                    Output = output,
                });
            }
            catch (ArgumentException ex)
            {
                throw root.Error(value, $"'{stepName}' is not a valid step name: {ex.Message}");
            }

            routes.AddRange(Routes(root, step, stepName));
        }

        var builder = new FlowBuilder(name);
        foreach (var node in nodes.Values)
        {
            builder.Add(node);
        }

        foreach (var (from, action, to, at) in routes)
        {
            if (!nodes.TryGetValue(to, out var target))
            {
                throw root.Error(at, $"step '{from}' goes to '{to}' on '{action}', but there is no step '{to}'; the steps are: {string.Join(", ", nodes.Keys)}");
            }

            builder.Connect(nodes[from], target, action);
        }

        var start = root.Text("start") ?? nodes.Keys.First();
        builder.StartWith(nodes.TryGetValue(start, out var first) ? first : throw root.Error(root.Get("start")!, $"there is no step '{start}' to start with"));
        if (root.WholeNumber("max_steps", 1, int.MaxValue) is { } maxSteps)
        {
            builder.WithMaxSteps(maxSteps);
        }

        var input = root.Get("input") is { } inputNode
            ? FlowFile.ToJson(inputNode) as JsonObject ?? throw root.Error(inputNode, "'input' must be a mapping: the run's initial state")
            : [];
        var show = root.List("show").Select(n => n.Value ?? throw root.Error(n, "'show' lists run-state keys")).ToList();
        return new LuaFlowFile(builder.Build(), input, root.Text("store"), root.Text("run_id"), show, directory);
    }

    private static IEnumerable<(string From, string Action, string To, ISettingsNode At)> Routes(StrictSettings root, StrictSettings? step, string stepName)
    {
        switch (step?.Get("next"))
        {
            case null:
                yield break;
            case { Value: { Length: > 0 } to } scalar:
                yield return (stepName, "default", to, scalar);
                break;
            case { IsMapping: true } actions:
                foreach (var action in actions.Keys)
                {
                    var to = actions.Child(action)!;
                    if (action.Length == 0 || string.IsNullOrEmpty(to.Value))
                    {
                        throw root.Error(to, $"'steps.{stepName}.next' maps an action to a step name, e.g. 'retry: {stepName}'");
                    }

                    yield return (stepName, action, to.Value, to);
                }

                break;
            case var other:
                throw root.Error(other, $"'steps.{stepName}.next' is a step name or a mapping from action to step name");
        }
    }

    private static LuaScriptOptions Budgets(StrictSettings budgets)
    {
        var options = new LuaScriptOptions();
        if (budgets.WholeNumber("timeout_seconds", 1, 86_400) is { } seconds)
        {
            options.Timeout = TimeSpan.FromSeconds(seconds);
        }

        if (budgets.WholeNumber("max_instructions", 1_000, int.MaxValue) is { } instructions)
        {
            options.MaxInstructions = instructions;
        }

        if (budgets.WholeNumber("max_memory_mb", 1, 65_536) is { } megabytes)
        {
            options.MaxMemoryBytes = megabytes * 1024L * 1024;
        }

        if (budgets.WholeNumber("max_call_depth", 10, 100_000) is { } depth)
        {
            options.MaxCallDepth = depth;
        }

        return options;
    }

    /// <summary>Prints the run's final state (the <see cref="Show"/> keys, or all), one JSON value per key.</summary>
    public void PrintResult(CliConsole console, JsonObject state)
    {
        var keys = Show.Count > 0 ? Show : [.. state.Select(p => p.Key)];
        console.Table(["key", "value"], keys.Select(k => new[] { k, Shorten(state[k]?.ToJsonString() ?? "null") }));
    }

    private static string Shorten(string json) =>
        json.Length <= 100 ? json : string.Create(CultureInfo.InvariantCulture, $"{json[..97]}... ({json.Length:N0} chars)");
}
