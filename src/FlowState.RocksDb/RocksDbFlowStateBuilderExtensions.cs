using Microsoft.Extensions.Configuration;

namespace FlowState.RocksDb;

/// <summary>Chooses RocksDB as the backend of the FlowState services.</summary>
public static class RocksDbFlowStateBuilderExtensions
{
    /// <summary>Keeps the store in the RocksDB directory <paramref name="path"/> (created if missing).</summary>
    public static FlowStateBuilder UseRocksDb(this FlowStateBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.UseBackend(_ => new RocksDbStateBackend(path));
    }

    /// <summary>Keeps the store in RocksDB as a configuration section says: <c>Path</c> (required, the directory).</summary>
    /// <exception cref="ArgumentException">The section has no <c>Path</c>.</exception>
    public static FlowStateBuilder UseRocksDb(this FlowStateBuilder builder, IConfiguration section)
    {
        return builder.UseRocksDb(FlowStateConfiguration.Required(section, "Path", "the RocksDB directory"));
    }

    /// <summary>Keeps the store in RocksDB with the given options.</summary>
    public static FlowStateBuilder UseRocksDb(this FlowStateBuilder builder, RocksDbStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseBackend(_ => new RocksDbStateBackend(options));
    }
}
