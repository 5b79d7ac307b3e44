using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>Every PostgreSQL test class shares one server.</summary>
[CollectionDefinition(Name)]
public sealed class SharedPostgresServer : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
