using FlowState.Conformance;
using Microsoft.Extensions.Configuration;
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

    [Fact]
    public async Task UseSqlite_reads_the_file_and_its_options_from_configuration()
    {
        var path = _directory.File("configured.db");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlowState:Sqlite:Path"] = path,
            ["FlowState:Sqlite:BusyTimeout"] = "00:00:02",
        }).Build();
        await using (var provider = new ServiceCollection().AddFlowState(f => f.UseSqlite(configuration.GetSection("FlowState:Sqlite"))).BuildServiceProvider())
        {
            await provider.GetRequiredService<IStateStore>().SetAsync("k", 1);
        }

        Assert.True(File.Exists(path));
        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["S:Path"] = path, ["S:BusyTimeout"] = "soon" }).Build();
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseSqlite(bad.GetSection("S"))));
        Assert.Contains("S:BusyTimeout", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseSqlite(bad.GetSection("Missing"))));
    }

    [Fact]
    public async Task A_misspelled_key_in_the_sqlite_section_is_refused_and_a_nested_section_passes_the_store_s_binding()
    {
        var path = _directory.File("nested.db");
        var typo = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["S:Path"] = path, ["S:VerifyOnOpn"] = "false" }).Build();
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseSqlite(typo.GetSection("S"))));
        Assert.Contains("VerifyOnOpn", error.Message, StringComparison.Ordinal);
        Assert.Contains("Accepted keys: Path, BusyTimeout, VerifyOnOpen", error.Message, StringComparison.Ordinal);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlowState:Name"] = "nested",
            ["FlowState:Sqlite:Path"] = path,
            ["FlowState:Sqlite:ReadOnly"] = "false",
        }).Build();
        await using var provider = new ServiceCollection()
            .AddFlowState(f => f.UseSqlite(configuration.GetSection("FlowState:Sqlite")).BindConfiguration(configuration.GetSection("FlowState")))
            .BuildServiceProvider();
        var store = provider.GetRequiredService<StateStore>();
        Assert.Equal("nested", store.Name);
        await store.SetAsync("k", 1);
    }
}
