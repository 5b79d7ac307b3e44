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

    // Every batch rewrites the whole file, so an operation costs the size of the state: a tenth of the stress
    // operations checks the same interleavings in a tenth of the time (40 s at the default count).
    protected override int StressOperations => base.StressOperations / 10;
}
