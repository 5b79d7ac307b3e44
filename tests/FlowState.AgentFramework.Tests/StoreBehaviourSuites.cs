using FlowState.Conformance;
using FlowState.RocksDb;
using FlowState.Sqlite;
using Microsoft.Agents.AI.Workflows.Checkpointing;

namespace FlowState.AgentFramework.Tests;

/// <summary>The Agent Framework's own file store: the suite's reference.</summary>
public sealed class FileSystemStoreBehaviourTests : CheckpointStoreBehaviourTests
{
    private readonly TemporaryDirectory _directory = new();
    private FileSystemJsonCheckpointStore? _store;

    protected override JsonCheckpointStore Store => _store!;

    public override Task InitializeAsync()
    {
        _store = new FileSystemJsonCheckpointStore(new DirectoryInfo(_directory.Path));
        return Task.CompletedTask;
    }

    public override Task DisposeAsync()
    {
        _store?.Dispose();
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>FlowState's store on an in-memory store.</summary>
public sealed class InMemoryFlowStateStoreBehaviourTests : CheckpointStoreBehaviourTests
{
    private StateStore? _state;

    protected override JsonCheckpointStore Store => new FlowStateCheckpointStore(_state!.For(StateScope.Custom("agent-framework")));

    public override Task InitializeAsync()
    {
        _state = new StateStore();
        return Task.CompletedTask;
    }

    public override Task DisposeAsync() => _state!.DisposeAsync().AsTask();
}

/// <summary>FlowState's store on SQLite.</summary>
public sealed class SqliteFlowStateStoreBehaviourTests : CheckpointStoreBehaviourTests
{
    private readonly TemporaryDirectory _directory = new();
    private StateStore? _state;

    protected override JsonCheckpointStore Store => new FlowStateCheckpointStore(_state!.For(StateScope.Custom("agent-framework")));

    public override async Task InitializeAsync() =>
        _state = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(_directory.File("checkpoints.db")) });

    public override async Task DisposeAsync()
    {
        await _state!.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>FlowState's store on RocksDB.</summary>
public sealed class RocksDbFlowStateStoreBehaviourTests : CheckpointStoreBehaviourTests
{
    private readonly TemporaryDirectory _directory = new();
    private StateStore? _state;

    protected override JsonCheckpointStore Store => new FlowStateCheckpointStore(_state!.For(StateScope.Custom("agent-framework")));

    public override async Task InitializeAsync() =>
        _state = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(new RocksDbStateBackendOptions { Path = _directory.File("checkpoints") }) });

    public override async Task DisposeAsync()
    {
        await _state!.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>The kill -9 test of an Agent Framework workflow checkpointing into SQLite.</summary>
public sealed class SqliteAgentFrameworkCrashRecoveryTests : AgentFrameworkCrashRecoveryTests
{
    protected override string BackendName => "sqlite";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);
}

/// <summary>The kill -9 test of an Agent Framework workflow checkpointing into RocksDB.</summary>
public sealed class RocksDbAgentFrameworkCrashRecoveryTests : AgentFrameworkCrashRecoveryTests
{
    protected override string BackendName => "rocksdb";

    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);
}
