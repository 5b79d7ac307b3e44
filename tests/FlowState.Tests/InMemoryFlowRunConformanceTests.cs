using FlowState.Conformance;

namespace FlowState.Tests;

/// <summary>The flow suite on the in-memory engine, without progress records (the default with no backend).</summary>
public sealed class InMemoryFlowRunConformanceTests : FlowRunConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options) => new(options);
}
