using FlowState.Conformance;

namespace FlowState.Tests;

/// <summary>The shared conformance suite against the in-memory engine with no backend.</summary>
public sealed class InMemoryStateStoreConformanceTests : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options) => new(options);
}
