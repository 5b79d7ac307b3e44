using Microsoft.Agents.AI.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowState.AgentFramework;

/// <summary>Wires FlowState in as the checkpoint store of Agent Framework workflows.</summary>
public static class AgentFrameworkFlowStateBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="FlowStateCheckpointStore"/> on the FlowState store (its sessions under the custom scope
    /// <paramref name="scopeName"/>) and a <see cref="CheckpointManager"/> over it, for
    /// <c>InProcessExecution.RunAsync(workflow, input, checkpointManager, sessionId)</c> and <c>ResumeAsync</c>. On a keyed
    /// store both are keyed alike (<c>[FromKeyedServices("orders")] CheckpointManager</c>).
    /// </summary>
    public static FlowStateBuilder AddFlowStateCheckpointStore(
        this FlowStateBuilder builder,
        Action<FlowStateCheckpointStoreOptions>? configure = null,
        string scopeName = "agent-framework")
    {
        ArgumentNullException.ThrowIfNull(builder);
        var scope = StateScope.Custom(scopeName);
        var key = builder.Key;
        builder.Services.TryAddKeyedSingleton(key, (provider, _) =>
        {
            var options = new FlowStateCheckpointStoreOptions();
            configure?.Invoke(options);
            IStateStore sessions = provider.GetRequiredKeyedService<IStateStore>(key) switch
            {
                StateStore store => store.For(scope),
                SharedStateStore shared => shared.For(scope),
                var other => throw new InvalidOperationException(
                    $"The registered IStateStore ({other.GetType().Name}) is neither a StateStore nor a SharedStateStore; register a FlowStateCheckpointStore yourself."),
            };
            return new FlowStateCheckpointStore(sessions, options);
        });
        builder.Services.TryAddKeyedSingleton(key, (provider, _) => CheckpointManager.CreateJson(provider.GetRequiredKeyedService<FlowStateCheckpointStore>(key)));
        return builder;
    }
}
