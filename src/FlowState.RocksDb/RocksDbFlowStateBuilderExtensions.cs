using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowState.RocksDb;

/// <summary>Chooses RocksDB as the backend of the FlowState services.</summary>
public static class RocksDbFlowStateBuilderExtensions
{
    /// <summary>Keeps the store in the RocksDB directory <paramref name="path"/> (created if missing).</summary>
    public static FlowStateBuilder UseRocksDb(this FlowStateBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.UseRocksDb(new RocksDbStateBackendOptions { Path = path });
    }

    /// <summary>
    /// Keeps the store in RocksDB as a configuration section says (for example <c>FlowState:RocksDb</c>): <c>Path</c>
    /// (required, the directory), <c>TolerateTornLogTail</c>, <c>ReadOnly</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The section has no <c>Path</c>, a key is none of these, or a value does not convert.</exception>
    public static FlowStateBuilder UseRocksDb(this FlowStateBuilder builder, IConfiguration section)
    {
        var settings = FlowStateConfiguration.Bind<RocksDbSettings>(section, "the RocksDB backend");
        var options = new RocksDbStateBackendOptions { Path = FlowStateConfiguration.Required(section, "Path", "the RocksDB directory") };
        options.TolerateTornLogTail = settings.TolerateTornLogTail ?? options.TolerateTornLogTail;
        options.ReadOnly = settings.ReadOnly ?? options.ReadOnly;
        return builder.UseRocksDb(options);
    }

    /// <summary>Keeps the store in RocksDB with the given options (logging to the app's loggers unless they name a logger factory).</summary>
    public static FlowStateBuilder UseRocksDb(this FlowStateBuilder builder, RocksDbStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseBackend(provider => new RocksDbStateBackend(options.WithLoggerFactory(provider.GetService<ILoggerFactory>())));
    }
}
