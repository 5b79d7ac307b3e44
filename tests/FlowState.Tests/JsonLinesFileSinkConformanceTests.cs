using System.Text.Json;
using FlowState.Conformance;
using FlowState.Streaming;

namespace FlowState.Tests;

/// <summary>The two-phase-commit sink suite on the JSON-lines file sink.</summary>
public sealed class JsonLinesFileSinkConformanceTests : TwoPhaseCommitSinkConformanceTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override TwoPhaseCommitSink CreateSink() => new JsonLinesFileSink("out", _directory.File("out"));

    protected override async Task<IReadOnlyList<string>> ReadCommittedIdsAsync() =>
        [.. (await JsonLinesFileSink.ReadCommittedLinesAsync(_directory.File("out"))).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!)];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
