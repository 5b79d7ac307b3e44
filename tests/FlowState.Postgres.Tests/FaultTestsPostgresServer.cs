using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// The server of the test classes that kill processes or crash and restart servers: a collection of its own, so that
/// they run beside the other classes instead of after them (on one shared server the suite ran one class at a time and
/// was the test command's longest part).
/// </summary>
[CollectionDefinition(Name)]
public sealed class FaultTestsPostgresServer : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres-faults";
}
