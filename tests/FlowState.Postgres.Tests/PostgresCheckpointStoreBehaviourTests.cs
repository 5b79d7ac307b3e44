using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>Agent Framework checkpoints in a shared store on a real PostgreSQL server.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresCheckpointStoreBehaviourTests(PostgresServer server) : SharedCheckpointStoreBehaviourTests
{
    protected override ISharedStateBackend CreateBackend(string name) => new PostgresSharedStateBackend(server.ConnectionString, name);
}
