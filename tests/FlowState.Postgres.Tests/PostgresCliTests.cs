using FlowState.Cli;
using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The <c>flowstate</c> command on a store in PostgreSQL: <c>--store postgres:table:connection string</c>.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresCliTests(PostgresServer server)
{
    [Fact]
    public async Task The_word_count_flow_runs_on_a_postgres_store_and_its_state_can_be_read_back()
    {
        var store = $"postgres:state_{Guid.NewGuid():N}:{server.ConnectionString}";
        var flow = Path.Combine(TestServerScripts.RepositoryRoot, "examples", "flows", "word-count.yaml");

        var run = await InProcessCli.RunAsync("run", flow, "--store", store);
        var set = await InProcessCli.RunAsync("state", "set", "note", "\"in postgres\"", "--store", store);
        var get = await InProcessCli.RunAsync("state", "get", "note", "--store", store);
        var runs = await InProcessCli.RunAsync("runs", "list", "--store", store);

        Assert.Equal((0, string.Empty), (run.Code, run.Error));
        Assert.Contains("completed: 4 step(s)", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(server.ConnectionString, run.Out, StringComparison.Ordinal);
        Assert.Equal(0, set.Code);
        Assert.Equal("\"in postgres\"", get.Out.Trim());
        Assert.Contains("word-count_1", runs.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_postgres_store_without_a_table_is_a_usage_error()
    {
        var (code, _, error) = await InProcessCli.RunAsync("stats", "--store", "postgres:Host=localhost");

        Assert.Equal(2, code);
        Assert.Contains("postgres:<table>:<connection string>", error, StringComparison.Ordinal);
    }
}
