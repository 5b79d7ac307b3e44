using FlowState;
using FlowState.Testing;

namespace JsonFileBackend.Tests;

/// <summary>The kit's store suite on stores over a JSON state file: everything a store does, whatever its backend.</summary>
public sealed class JsonFileStateStoreConformanceTests : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new JsonFileStateBackend(NewStoragePath() + ".json");
        return Open(options);
    }

    // Every batch rewrites the whole file, so an operation costs the size of the state: a tenth of the stress
    // operations checks the same interleavings in a tenth of the time (40 s at the default count).
    protected override int StressOperations => base.StressOperations / 10;
}
