using FlowState.AgentFramework;
using Microsoft.Agents.AI.Workflows.Checkpointing;

namespace FlowState.Conformance;

/// <summary>The checkpoint-store behaviour suite on a shared store, each test on a store name of its own.</summary>
public abstract class SharedCheckpointStoreBehaviourTests : CheckpointStoreBehaviourTests
{
    private SharedStateStore? _shared;

    protected override JsonCheckpointStore Store => new FlowStateCheckpointStore(_shared!.For(StateScope.Custom("agent-framework")));

    /// <summary>A backend on the test server under <paramref name="name"/> (a key prefix, a table).</summary>
    protected abstract ISharedStateBackend CreateBackend(string name);

    public override async Task InitializeAsync() =>
        _shared = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = CreateBackend($"af{Guid.NewGuid():N}"[..20]) });

    public override async Task DisposeAsync() => await _shared!.DisposeAsync();
}
