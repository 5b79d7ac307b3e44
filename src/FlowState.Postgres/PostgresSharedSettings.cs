namespace FlowState.Postgres;

/// <summary>What <c>UseSharedPostgres(section)</c> reads: only these keys are accepted.</summary>
internal sealed class PostgresSharedSettings
{
    public string? ConnectionString { get; set; }

    public string? SessionConnectionString { get; set; }

    public string? Table { get; set; }

    public bool? NotifyChanges { get; set; }

    public TimeSpan? ReconnectTimeout { get; set; }

    public int? ChangeRetention { get; set; }

    public bool? IncludePreviousValues { get; set; }
}
