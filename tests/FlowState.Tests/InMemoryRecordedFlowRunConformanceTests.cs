using FlowState.Conformance;
using FlowState.Flows;

namespace FlowState.Tests;

/// <summary>The flow suite on the in-memory engine with progress records forced on, as a durable store has them.</summary>
public sealed class InMemoryRecordedFlowRunConformanceTests : FlowRunConformanceTests
{
    protected override FlowRunnerOptions RunnerOptions => new() { RecordProgress = true };

    protected override StateStore CreateStore(StateStoreOptions options) => new(options);
}
