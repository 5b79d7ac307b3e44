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

        Assert.Equal($"flowstate:{_table}:9", handle);
        Assert.Equal([handle!], await server.QueryStringsAsync($"SELECT gid FROM pg_prepared_xacts WHERE gid = '{handle}'"));
        await sink.CommitAsync(handle!, CancellationToken.None);
        Assert.Empty(await server.QueryStringsAsync($"SELECT gid FROM pg_prepared_xacts WHERE gid = '{handle}'"));
    }

    [Fact]
    public void Names_that_could_break_the_SQL_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new PostgresSink("a'b", server.ConnectionString, "t"));
        Assert.Throws<ArgumentException>(() => new PostgresSink("ok", server.ConnectionString, "t; DROP TABLE x"));
    }
}
