using FlowState;
using FlowState.Testing;

namespace JsonFileBackend.Tests;

/// <summary>The kit's backend suite: the <see cref="IStateBackend"/> contract itself, below any store.</summary>
public sealed class JsonFileStateBackendConformanceTests : StateBackendConformanceTests
{
    protected override IStateBackend CreateBackend(string path) => new JsonFileStateBackend(path + ".json");
}
