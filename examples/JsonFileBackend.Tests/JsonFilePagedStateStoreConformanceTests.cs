using FlowState;
using FlowState.Testing;

namespace JsonFileBackend.Tests;

/// <summary>
/// The kit's store suite on stores that keep two values in memory: nearly every value a test reads was paged out and
/// comes back through the backend's <see cref="IStateBackend.GetAsync"/> and scans.
/// </summary>
public sealed class JsonFilePagedStateStoreConformanceTests : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new JsonFileStateBackend(NewStoragePath() + ".json");
        options.MaxEntries ??= 2;
        return Open(options);
    }
}
