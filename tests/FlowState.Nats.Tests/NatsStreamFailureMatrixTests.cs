using FlowState.Conformance;
using FlowState.Sqlite;
using Xunit;

namespace FlowState.Nats.Tests;

/// <summary>
/// The exactly-once failure matrix into a real JetStream stream: staged epochs survive the killed process, recovery
/// commits or purges them, and a repeated commit is dropped by message id (keyed state on SQLite).
/// </summary>
[Collection(SharedNatsServer.Name)]
public sealed class NatsStreamFailureMatrixTests(NatsServer server) : StreamFailureMatrixConformanceTests, IAsyncLifetime
{
    private readonly string _stream = $"EOS{Guid.NewGuid():N}";

    protected override string HarnessBackend => "sqlite";

    protected override string[] SinkArguments => [$"nats:{_stream}.out:{server.Url}"];

    public async Task InitializeAsync() => await server.CreateStreamAsync(_stream);

    public Task DisposeAsync() => Task.CompletedTask;

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);

    protected override async Task<IReadOnlyList<string>> ReadCommittedLinesAsync(string path) =>
        [.. (await server.ReadAllAsync(_stream)).Select(m => m.Payload)];
}
