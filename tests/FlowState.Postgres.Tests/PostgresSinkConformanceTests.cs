using FlowState.Conformance;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The two-phase-commit sink suite on a real PostgreSQL server (PREPARE TRANSACTION / COMMIT PREPARED).</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresSinkConformanceTests(PostgresServer server) : TwoPhaseCommitSinkConformanceTests
{
    private readonly string _table = PostgresServer.NewTable();

    protected override TwoPhaseCommitSink CreateSink() => new PostgresSink(_table, server.ConnectionString, _table);

    protected override Task<IReadOnlyList<string>> ReadCommittedIdsAsync() =>
        server.QueryStringsAsync($"SELECT message_id FROM {_table} ORDER BY epoch, seq");

    [Fact]
    public async Task A_pre_committed_transaction_is_a_real_prepared_transaction_of_the_server()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(9);
        await sink.WriteAsync([StreamMessage.Create("k", 1, id: "x")], CancellationToken.None);
        var handle = await sink.PreCommitEpochAsync(CancellationToken.None);

        Assert.Matches($"^flowstate:{_table}:[0-9a-f]{{16}}:9$", handle);
        Assert.Equal([handle!], await server.QueryStringsAsync($"SELECT gid FROM pg_prepared_xacts WHERE gid = '{handle}'"));
        await sink.CommitAsync(handle!, CancellationToken.None);
        Assert.Empty(await server.QueryStringsAsync($"SELECT gid FROM pg_prepared_xacts WHERE gid = '{handle}'"));
    }

    [Fact]
    public async Task Recovering_one_pipeline_never_rolls_back_another_pipelines_prepared_transaction_of_a_sink_with_the_same_name()
    {
        var otherTable = PostgresServer.NewTable();
        await using var b = new PostgresSink("pg", server.ConnectionString, otherTable);
        b.AttachToPipeline("pipeline-b");
        await b.RecoverAsync([], CancellationToken.None);
        b.StartEpoch(4);
        await b.WriteAsync([.. Enumerable.Range(0, 50).Select(i => StreamMessage.Create("k", i, id: $"b{i}"))], CancellationToken.None);
        var prepared = await b.PreCommitEpochAsync(CancellationToken.None);

        // Pipeline A, another table, its sink also named "pg", starts while B's transaction is prepared (B was killed
        // after its checkpoint's manifest, before its commit).
        await using (var a = new PostgresSink("pg", server.ConnectionString, _table))
        {
            a.AttachToPipeline("pipeline-a");
            await a.RecoverAsync([], CancellationToken.None);
        }

        Assert.Equal([prepared!], await server.QueryStringsAsync($"SELECT gid FROM pg_prepared_xacts WHERE gid = '{prepared}'"));
        await using var restarted = new PostgresSink("pg", server.ConnectionString, otherTable);
        restarted.AttachToPipeline("pipeline-b");
        await restarted.RecoverAsync([prepared!], CancellationToken.None);
        Assert.Equal(50, (await server.QueryStringsAsync($"SELECT message_id FROM {otherTable}")).Count);
    }

    [Fact]
    public async Task A_sink_outside_any_pipeline_refuses_to_write_instead_of_guessing_its_transaction_ids()
    {
        await using var sink = new PostgresSink("loose", server.ConnectionString, PostgresServer.NewTable());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await sink.RecoverAsync([], CancellationToken.None));

        Assert.Contains("not part of a pipeline", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_that_could_break_the_SQL_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new PostgresSink("a'b", server.ConnectionString, "t"));
        Assert.Throws<ArgumentException>(() => new PostgresSink("ok", server.ConnectionString, "t; DROP TABLE x"));
    }
}
