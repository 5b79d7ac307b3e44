using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The durability suite (reopen, versions, TTL, group commit, backups, migrations) on PostgreSQL tables.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresDurableStateStoreConformanceTests(PostgresServer server) : DurableStateStoreConformanceTests
{
    private readonly string _prefix = Guid.NewGuid().ToString("N");

    protected override IStateBackend CreateBackend(string storage) => CreateBackendAt(PostgresTables.For(_prefix + storage));

    protected override IStateBackend CreateBackendAt(string path) => new PostgresStateBackend(server.ConnectionString, path);

    protected override string BackupPath(string name) => PostgresTables.For(_prefix + "backup/" + name);
}
