using FlowState.Conformance;

namespace FlowState.Tests;

/// <summary>The capacity (LRU) conformance suite against the in-memory engine.</summary>
public sealed class InMemoryCapacityConformanceTests : CapacityConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options) => new(options);
}
