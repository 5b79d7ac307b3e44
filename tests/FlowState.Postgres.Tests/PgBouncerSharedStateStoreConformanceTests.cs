using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// The shared-store conformance suite with reads and commits going through PgBouncer in transaction mode (the store's
/// session straight to the server), worker processes included.
/// </summary>
public sealed class PgBouncerSharedStateStoreConformanceTests(PgBouncerServer bouncer) : SharedStateStoreWorkerConformanceTests, IClassFixture<PgBouncerServer>
{
    protected override ISharedStateBackend CreateBackend(string name) => new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions
    {
        ConnectionString = bouncer.PooledConnectionString,
        SessionConnectionString = bouncer.DirectConnectionString,
        Table = name,
    });

    protected override string HarnessServer => $"postgres-pooled:{bouncer.DirectConnectionString}|{bouncer.PooledConnectionString}";

    [Fact]
    public async Task Reads_and_commits_go_through_PgBouncer_in_transaction_mode()
    {
        var table = PostgresServer.NewTable();
        await using (var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = CreateBackend(table) }))
        {
            var run = store.For(StateScope.Workflow("pooled"));
            for (var i = 0; i < 20; i++)
            {
                await run.UpdateAsync<int>("n", n => n + 1);
            }

            Assert.Equal(20, await run.GetAsync<int>("n"));
        }

        // Columns of SHOW POOLS: database|user|cl_active|…|pool_mode (last). The pool served the commits above.
        var pools = (await bouncer.AdminAsync("SHOW POOLS")).Split('\n').Where(line => line.StartsWith("postgres|postgres|", StringComparison.Ordinal)).ToList();
        Assert.Single(pools);
        Assert.EndsWith("|transaction", pools[0], StringComparison.Ordinal);
        var stats = await bouncer.AdminAsync("SHOW STATS");
        var postgresStats = stats.Split('\n').Single(line => line.StartsWith("postgres|", StringComparison.Ordinal)).Split('|');
        Assert.True(long.Parse(postgresStats[1], System.Globalization.CultureInfo.InvariantCulture) >= 20, $"PgBouncer counted fewer transactions than the store committed: {stats}");
    }
}
