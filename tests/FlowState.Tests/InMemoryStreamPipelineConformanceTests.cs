using FlowState.Conformance;

namespace FlowState.Tests;

/// <summary>The stream suite with the pipeline's keyed state in the in-memory engine.</summary>
public sealed class InMemoryStreamPipelineConformanceTests : StreamPipelineConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options) => new(options);
}
