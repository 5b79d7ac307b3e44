using System.Text.Json.Nodes;
using Xunit;

namespace FlowState.Testing;

// Migrations: applied once, in version order, each in one transaction with its recorded version.
public abstract partial class DurableStateStoreConformanceTests
{
    private Task<StateStore> OpenWithMigrationsAsync(string storage, params IStateMigration[] migrations)
    {
        var options = new StateStoreOptions { Backend = CreateBackend(storage), TimeProvider = Clock };
        foreach (var migration in migrations)
        {
            options.Migrations.Add(migration);
        }

        return StateStore.OpenAsync(options);
    }

    [Fact]
    public virtual async Task Migrations_run_once_in_version_order_and_their_results_are_stored()
    {
        await using (var store = await OpenAsync("migrate"))
        {
            await store.For(StateScope.Workflow("r1")).SetAsync("customer_name", "Ann");
            await store.For(StateScope.Workflow("r2")).SetAsync("customer_name", "Bo");
            await store.SetAsync("obsolete", true);
        }

        var ran = new List<int>();
        var renameKey = new DelegateMigration(2, async store =>
        {
            ran.Add(2);
            await foreach (var key in store.ListAllAsync())
            {
                if (key.Key == "customer_name")
                {
                    var scope = store.For(key.Scope);
                    var name = await scope.GetAsync<string>("customer_name");
                    await scope.ApplyAsync(scope.CreateBatch().Set("customer", new { name }).Delete("customer_name"));
                }
            }
        });
        var dropObsolete = new DelegateMigration(1, async store =>
        {
            ran.Add(1);
            await store.DeleteAsync("obsolete");
        });

        await using (var migrated = await OpenWithMigrationsAsync("migrate", renameKey, dropObsolete))
        {
            Assert.Equal([1, 2], ran);
            Assert.Equal(2, migrated.MigrationVersion);
            Assert.Equal("Ann", (await migrated.For(StateScope.Workflow("r1")).GetAsync<JsonObject>("customer"))!["name"]!.GetValue<string>());
            await migrated.SetAsync("after", 1); // versions continue above what the migration wrote
        }

        await using (var again = await OpenWithMigrationsAsync("migrate", renameKey, dropObsolete))
        {
            Assert.Equal([1, 2], ran); // nothing ran twice
            Assert.Equal(2, again.MigrationVersion);
        }

        await using var plain = await OpenAsync("migrate");
        Assert.Equal(2, plain.MigrationVersion);
        Assert.False(await plain.ExistsAsync("obsolete"));
        Assert.False(await plain.For(StateScope.Workflow("r2")).ExistsAsync("customer_name"));
        Assert.Equal("Bo", (await plain.For(StateScope.Workflow("r2")).GetAsync<JsonObject>("customer"))!["name"]!.GetValue<string>());
        Assert.Equal(3, await plain.CountAsync()); // two customers and "after"; the version record is not state
        var versions = new List<long>();
        await foreach (var key in plain.ListAllAsync())
        {
            versions.Add((await plain.For(key.Scope).GetEntryAsync(key.Key))!.Version);
        }

        Assert.Equal(versions.Count, versions.Distinct().Count());
    }

    [Fact]
    public virtual async Task Failing_migration_stores_nothing_and_leaves_the_previous_version()
    {
        await using (var store = await OpenAsync("migrate-fail"))
        {
            await store.SetAsync("balance", 100);
        }

        var first = new DelegateMigration(1, store => store.SetAsync("currency", "EUR").AsTask());
        var failing = new DelegateMigration(2, async store =>
        {
            await store.SetAsync("balance", 0);
            await store.SetAsync("half-done", true);
            throw new InvalidOperationException("exchange rate service unavailable");
        });

        var ex = await Assert.ThrowsAsync<StateMigrationException>(() => OpenWithMigrationsAsync("migrate-fail", first, failing));
        Assert.Equal(2, ex.FailedVersion);
        Assert.Equal(1, ex.AppliedVersion);
        Assert.Contains("exchange rate service unavailable", ex.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(ex.InnerException);

        await using var reopened = await OpenAsync("migrate-fail");
        Assert.Equal(1, reopened.MigrationVersion);
        Assert.Equal(100, await reopened.GetAsync<int>("balance"));
        Assert.Equal("EUR", await reopened.GetAsync<string>("currency"));
        Assert.False(await reopened.ExistsAsync("half-done"));
    }

    [Fact]
    public virtual async Task Store_migrated_further_than_the_registered_migrations_is_refused()
    {
        await using (var store = await OpenWithMigrationsAsync("migrate-newer", new DelegateMigration(3, _ => Task.CompletedTask)))
        {
            Assert.Equal(3, store.MigrationVersion);
        }

        var ex = await Assert.ThrowsAsync<StateMigrationException>(() => OpenWithMigrationsAsync("migrate-newer", new DelegateMigration(1, _ => Task.CompletedTask)));
        Assert.Contains("migration version 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public virtual async Task Invalid_migration_sets_are_refused_before_anything_runs()
    {
        var ran = false;
        await Assert.ThrowsAsync<ArgumentException>(() => OpenWithMigrationsAsync(
            "migrate-invalid", new DelegateMigration(1, _ => { ran = true; return Task.CompletedTask; }), new DelegateMigration(1, _ => Task.CompletedTask)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => OpenWithMigrationsAsync("migrate-invalid", new DelegateMigration(0, _ => Task.CompletedTask)));
        var memory = new StateStoreOptions();
        memory.Migrations.Add(new DelegateMigration(1, _ => Task.CompletedTask));
        Assert.Throws<ArgumentException>(() => new StateStore(memory));
        Assert.False(ran);
    }

    private sealed class DelegateMigration(int version, Func<StateStore, Task> migrate) : IStateMigration
    {
        public int Version { get; } = version;

        public async ValueTask MigrateAsync(StateStore store, CancellationToken cancellationToken) => await migrate(store);
    }
}
