using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// The server most PostgreSQL test classes share; the classes that kill processes or restart servers share another
/// (<see cref="FaultTestsPostgresServer"/>). xunit runs the classes of one collection one after another, and both
/// collections side by side.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedPostgresServer : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
