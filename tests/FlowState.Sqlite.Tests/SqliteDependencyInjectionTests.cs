using FlowState.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FlowState.Sqlite.Tests;

public sealed class SqliteDependencyInjectionTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task UseSqlite_keeps_state_in_the_file_across_service_providers()
    {
        var path = _directory.File("di.db");
        await using (var provider = new ServiceCollection().AddFlowState(f => f.UseSqlite(path)).BuildServiceProvider())
        {
            await provider.GetRequiredService<IStateStore>().SetAsync("greeting", "hello");
        }

        await using var reopened = new ServiceCollection().AddFlowState(f => f.UseSqlite(path)).BuildServiceProvider();
        Assert.Equal("hello", await reopened.GetRequiredService<IStateStore>().GetAsync<string>("greeting"));
        Assert.True(reopened.GetRequiredService<Flows.FlowRunner>().RecordsProgress);
    }
}
