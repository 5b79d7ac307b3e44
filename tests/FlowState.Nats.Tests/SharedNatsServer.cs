using Xunit;

namespace FlowState.Nats.Tests;

/// <summary>Every NATS test class shares one server.</summary>
[CollectionDefinition(Name)]
public sealed class SharedNatsServer : ICollectionFixture<NatsServer>
{
    public const string Name = "nats";
}
