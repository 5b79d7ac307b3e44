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
}
