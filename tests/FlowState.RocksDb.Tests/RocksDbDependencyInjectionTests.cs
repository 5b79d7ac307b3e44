using FlowState.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FlowState.RocksDb.Tests;

public sealed class RocksDbDependencyInjectionTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task UseRocksDb_from_configuration_keeps_state_in_the_directory_across_service_providers()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlowState:RocksDb:Path"] = _directory.File("di-rocksdb"),
        }).Build();
        var section = configuration.GetSection("FlowState:RocksDb");
        await using (var provider = new ServiceCollection().AddFlowState(f => f.UseRocksDb(section)).BuildServiceProvider())
        {
            await provider.GetRequiredService<IStateStore>().SetAsync("greeting", "hello");
        }

        await using var reopened = new ServiceCollection().AddFlowState(f => f.UseRocksDb(section)).BuildServiceProvider();
        Assert.Equal("hello", await reopened.GetRequiredService<IStateStore>().GetAsync<string>("greeting"));
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseRocksDb(configuration.GetSection("Nothing"))));
        Assert.Contains("Nothing:Path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseRocksDb_logs_opening_and_closing_through_the_apps_loggers()
    {
        var path = _directory.File("logged-rocksdb");
        await using (var provider = new ServiceCollection()
            .AddLogging(b => b.AddFakeLogging().SetMinimumLevel(LogLevel.Debug))
            .AddFlowState(f => f.UseRocksDb(path))
            .BuildServiceProvider())
        {
            await provider.GetRequiredService<IStateStore>().SetAsync("k", 1);
            var opened = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 350);
            Assert.Equal(LogLevel.Information, opened.Level);
            Assert.StartsWith($"RocksDB directory '{path}' opened in ", opened.Message, StringComparison.Ordinal);
            Assert.Equal(typeof(RocksDbStateBackend).FullName, opened.Category);
            var collector = provider.GetFakeLogCollector();
            await provider.DisposeAsync();
            Assert.Contains(collector.GetSnapshot(), r => r.Id.Id == 351 && r.Message == $"RocksDB directory '{path}' flushed and closed.");
        }
    }
}
