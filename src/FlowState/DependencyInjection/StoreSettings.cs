using Microsoft.Extensions.Configuration;

namespace FlowState;

/// <summary>
/// What <see cref="FlowStateBuilder.BindConfiguration"/> reads from a section: only these keys are accepted. The
/// provider sections (<c>FlowState:Sqlite</c>, …) are read by the providers' <c>Use…(section)</c>; here they are only
/// let through.
/// </summary>
internal sealed class StoreSettings
{
    public string? Name { get; set; }

    public Durability? Durability { get; set; }

    public long? MaxEntries { get; set; }

    public long? MaxBytes { get; set; }

    public TimeSpan? DefaultTimeToLive { get; set; }

    public RunnerSettings? Runner { get; set; }

    public IConfigurationSection? Sqlite { get; set; }

    public IConfigurationSection? RocksDb { get; set; }

    public IConfigurationSection? Postgres { get; set; }

    public IConfigurationSection? SharedPostgres { get; set; }

    public IConfigurationSection? Redis { get; set; }

    public IConfigurationSection? S3 { get; set; }
}
